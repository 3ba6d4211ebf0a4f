package io.fedlora.deploy.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The dashboard's static pages and WebJars, served from the classpath exactly where the coordinator
 * serves them, with a fixed set of API answers behind them: for checking the pages themselves in a real
 * browser (rendering, role-dependent controls, live events, accessibility) apart from the server's
 * logic, which DashboardBrowserIT checks against a real coordinator. Sign-in tokens name the role.
 */
final class PagesOnlyServer implements AutoCloseable {

    private static final String STATIC = "io/fedlora/coordinator/web/static";
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "json", "application/json",
            "svg", "image/svg+xml", "png", "image/png");

    /** The coordinator's (DashboardServer's security headers): pages must work under it. */
    private static final String CONTENT_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

    /** A state-changing request as the server received it. */
    record Posted(String method, String path, String csrf, String body) {}

    private final HttpServer server;
    private final List<Posted> posted = new CopyOnWriteArrayList<>();
    private final List<BlockingQueue<String>> streams = new CopyOnWriteArrayList<>();

    PagesOnlyServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pages-only-server");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    List<Posted> posted() {
        return List.copyOf(posted);
    }

    /** Sends one server-sent event to every open event stream. */
    void push(String event, String json) {
        streams.forEach(q -> q.add("event: " + event + "\ndata: " + json + "\n\n"));
    }

    int openStreams() {
        return streams.size();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            if (path.startsWith("/api/")) {
                api(x, path);
            } else if (path.startsWith("/webjars/")) {
                resource(x, "META-INF/resources" + path);
            } else {
                page(x, path);
            }
        }
    }

    private void page(HttpExchange x, String path) throws IOException {
        // As the coordinator: the sign-in link's /login is the login page, and the same content policy.
        x.getResponseHeaders().set("Content-Security-Policy", CONTENT_POLICY);
        if (path.equals("/login")) {
            path = "/login.html";
        }
        if (path.contains("..")) {
            send(x, 400, "text/plain", "bad path");
            return;
        }
        String name = STATIC + (path.endsWith("/") ? path + "index.html" : path);
        if (!path.endsWith("/") && !path.contains(".") && exists(name + "/index.html")) {
            x.getResponseHeaders().set("Location", path + "/");
            send(x, 301, "text/plain", "");
            return;
        }
        resource(x, name);
    }

    private static boolean exists(String resource) {
        return PagesOnlyServer.class.getClassLoader().getResource(resource) != null;
    }

    private void resource(HttpExchange x, String name) throws IOException {
        URL url = PagesOnlyServer.class.getClassLoader().getResource(name);
        if (url == null) {
            send(x, 404, "text/plain", "not found: " + name);
            return;
        }
        byte[] body;
        try (InputStream in = url.openStream()) {
            body = in.readAllBytes();
        }
        String ext = name.substring(name.lastIndexOf('.') + 1);
        send(x, 200, TYPES.getOrDefault(ext, "application/octet-stream"), body);
    }

    private String role(HttpExchange x) {
        String cookie = x.getRequestHeaders().getFirst("Cookie");
        if (cookie == null) {
            return null;
        }
        for (String part : cookie.split(";\\s*")) {
            if (part.startsWith("fedlora_session=")) {
                return part.substring("fedlora_session=".length());
            }
        }
        return null;
    }

    private void api(HttpExchange x, String path) throws IOException {
        String method = x.getRequestMethod();
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (path.equals("/api/v1/session") && method.equals("POST")) {
            String role = body.replaceAll(".*\"token\"\\s*:\\s*\"([a-z]+)-token\".*", "$1");
            if (!List.of("viewer", "operator", "admin").contains(role)) {
                error(x, 401, "unknown, used or expired sign-in token");
                return;
            }
            x.getResponseHeaders().add("Set-Cookie", "fedlora_session=" + role + "; HttpOnly; SameSite=Strict; Path=/");
            json(x, session(role));
            return;
        }
        String role = role(x);
        if (role == null) {
            error(x, 401, "sign in first");
            return;
        }
        if (!method.equals("GET")) {
            posted.add(new Posted(method, path, x.getRequestHeaders().getFirst("X-CSRF-Token"), body));
        }
        switch (path) {
            case "/api/v1/session" -> {
                if (method.equals("DELETE")) {
                    x.getResponseHeaders().add("Set-Cookie", "fedlora_session=; Max-Age=0; Path=/");
                    send(x, 204, "application/json", new byte[0]);
                } else {
                    json(x, session(role));
                }
            }
            case "/api/v1/jobs" -> json(x, "{\"jobs\":[" + DashboardFixture.job("running") + "]}");
            case "/api/v1/jobs/job-1" -> json(x, DashboardFixture.jobDetail("running", DashboardFixture.actions(role, "running")));
            case "/api/v1/jobs/job-1/pause" -> json(x, DashboardFixture.jobDetail("paused", DashboardFixture.actions(role, "paused")));
            case "/api/v1/jobs/job-1/privacy" -> json(x, DashboardFixture.PRIVACY);
            case "/api/v1/jobs/job-1/log" -> json(x, DashboardFixture.LOG);
            case "/api/v1/nodes" -> json(x, DashboardFixture.NODES);
            case "/api/v1/nodes/node-3/revoke" -> json(x, "{}");
            case "/api/v1/enrollment-tokens" -> json(x, "{\"token\":\"enroll-once-7f3a\",\"expiresAt\":\"2026-12-08T06:00:00Z\"}");
            case "/api/v1/audit" -> json(x, DashboardFixture.AUDIT);
            case "/api/v1/events" -> stream(x);
            default -> error(x, 404, "no such resource: " + path);
        }
    }

    private static String session(String role) {
        return "{\"name\":\"" + role + "-alice\",\"role\":\"" + role + "\",\"csrfToken\":\"csrf-" + role
                + "\",\"expiresAt\":\"2026-12-07T20:00:00Z\"}";
    }

    private void stream(HttpExchange x) throws IOException {
        x.getResponseHeaders().set("Content-Type", "text/event-stream");
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.sendResponseHeaders(200, 0);
        OutputStream out = x.getResponseBody();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        streams.add(events);
        try {
            out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String event = events.poll(1, TimeUnit.SECONDS);
                out.write((event == null ? ": keep-alive\n\n" : event).getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException | InterruptedException closed) {
            // The page went away.
        } finally {
            streams.remove(events);
        }
    }

    private static void json(HttpExchange x, String body) throws IOException {
        send(x, 200, "application/json", body);
    }

    private static void error(HttpExchange x, int status, String message) throws IOException {
        send(x, status, "application/json", "{\"error\":{\"status\":" + status + ",\"message\":\"" + message + "\"}}");
    }

    private static void send(HttpExchange x, int status, String type, String body) throws IOException {
        send(x, status, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
