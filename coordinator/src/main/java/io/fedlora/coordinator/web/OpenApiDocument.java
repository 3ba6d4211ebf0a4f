package io.fedlora.coordinator.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The OpenAPI 3 document of {@code /api/v1}, kept beside the routes; a test checks the two agree. */
final class OpenApiDocument {

    static final String RESOURCE = "io/fedlora/coordinator/web/openapi.json";
    private static final String TEXT = load();

    private OpenApiDocument() {}

    static String text() {
        return TEXT;
    }

    private static String load() {
        try (InputStream in = OpenApiDocument.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
