package io.fedlora.coordinator.web;

import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A client of the dashboard's REST API, as a browser holds it: the JDK's HTTP client over TLS
 * trusting only the coordinator's CA, with the session cookie and CSRF token after
 * {@link #signIn(String)}. Tests and {@code fedlora bench dashboard} use it.
 */
public final class DashboardClient {

    private final HttpClient http;
    private final URI base;
    private String cookie;
    private String csrf;

    public DashboardClient(String baseUrl, Path caCertificate) throws Exception {
        this.base = URI.create(baseUrl);
        this.http = HttpClient.newBuilder().sslContext(trusting(caCertificate)).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    static SSLContext trusting(Path caCertificate) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caCertificate)) {
            ks.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Signs in with a link {@code https://HOST:PORT/login#token=...}; returns the session response. */
    public HttpResponse<String> signIn(String loginLink) throws Exception {
        String token = loginLink.substring(loginLink.indexOf("#token=") + "#token=".length());
        HttpResponse<String> r = send("POST", "/api/v1/session", new JsonObject().put("token", token).encode(), false);
        r.headers().allValues("set-cookie").stream().filter(c -> c.startsWith(ApiRoutes.COOKIE + "="))
                .findFirst().ifPresent(c -> cookie = c.substring(0, c.indexOf(';')));
        if (r.statusCode() == 200) {
            csrf = new JsonObject(r.body()).getString("csrfToken");
        }
        return r;
    }

    public HttpResponse<String> get(String path) throws Exception {
        return send("GET", path, null, false);
    }

    /** A POST carrying the session's CSRF token. */
    public HttpResponse<String> post(String path, String body) throws Exception {
        return send("POST", path, body, true);
    }

    /** A POST without the CSRF header (as a forged cross-site request would be). */
    public HttpResponse<String> postWithoutCsrf(String path, String body) throws Exception {
        return send("POST", path, body, false);
    }

    public HttpResponse<String> delete(String path) throws Exception {
        return send("DELETE", path, null, true);
    }

    public HttpResponse<byte[]> getBytes(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<InputStream> stream(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    public Optional<String> cookie() {
        return Optional.ofNullable(cookie);
    }

    public HttpResponse<String> send(String method, String path, String body, boolean withCsrf) throws Exception {
        HttpRequest.Builder b = request(path);
        if (withCsrf && csrf != null) {
            b.header(ApiRoutes.CSRF_HEADER, csrf);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return b;
    }
}
