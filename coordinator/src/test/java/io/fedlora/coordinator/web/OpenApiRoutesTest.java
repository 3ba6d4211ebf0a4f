package io.fedlora.coordinator.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every API route is in the OpenAPI document, and every operation there is a route. */
class OpenApiRoutesTest {

    private static final Set<String> HTTP_METHODS = Set.of("get", "post", "put", "delete", "patch", "head", "options");

    @Test
    void theDocumentAndTheRoutesAgree() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            new ApiRoutes(null, null, null, null).mount(router);
            Set<String> routes = new TreeSet<>();
            for (Route r : router.getRoutes()) {
                String path = r.getPath();
                if (path == null || path.endsWith("*") || r.methods() == null || r.methods().isEmpty()) {
                    continue; // the body handler, the session check, the catch-all 404
                }
                for (HttpMethod m : r.methods()) {
                    routes.add(m.name().toLowerCase(Locale.ROOT) + " " + path.replaceAll(":([A-Za-z]+)", "{$1}"));
                }
            }
            JsonObject paths = new JsonObject(OpenApiDocument.text()).getJsonObject("paths");
            Set<String> documented = new TreeSet<>();
            for (String p : paths.fieldNames()) {
                for (String m : paths.getJsonObject(p).fieldNames()) {
                    if (HTTP_METHODS.contains(m)) {
                        documented.add(m + " " + p);
                    }
                }
            }
            assertEquals(documented, routes);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
