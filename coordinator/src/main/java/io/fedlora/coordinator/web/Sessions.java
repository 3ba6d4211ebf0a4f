package io.fedlora.coordinator.web;

import io.fedlora.coordinator.app.DashboardLogins;
import io.fedlora.coordinator.app.Principal;
import io.fedlora.coordinator.trust.EnrollmentTokens;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in dashboard sessions, in memory, keyed by the sha256 of the cookie's value (so a heap dump
 * shows no usable cookie). A session ends at its lifetime or after an idle spell, whichever is first.
 */
final class Sessions {

    /** One signed-in browser. {@code csrfToken} must come back in X-CSRF-Token on every change. */
    record Session(Principal principal, String csrfToken, long createdUnixMs, long expiresUnixMs) {
        @Override
        public String toString() {
            return "Session[" + principal + ", csrf redacted]";
        }

        boolean csrfMatches(String header) {
            return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
                    csrfToken.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A new session with its cookie value (the secret, sent to the browser once). */
    record Opened(String cookieValue, Session session) {
        @Override
        public String toString() {
            return "Opened[cookie redacted, " + session + "]";
        }
    }

    private static final class Entry {
        final Session session;
        volatile long lastUsedUnixMs;

        Entry(Session session, long now) {
            this.session = session;
            this.lastUsedUnixMs = now;
        }
    }

    private final Map<String, Entry> byHash = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final SecureRandom random;
    private final Duration lifetime;
    private final Duration idle;

    Sessions(InstantSource clock, SecureRandom random, Duration lifetime, Duration idle) {
        this.clock = clock;
        this.random = random;
        this.lifetime = lifetime;
        this.idle = idle;
    }

    Opened open(DashboardLogins.Grant grant) {
        long now = clock.millis();
        byHash.values().removeIf(e -> !alive(e, now));
        String cookie = randomToken();
        Session s = new Session(new Principal(grant.name(), grant.role(), Principal.Authentication.SESSION),
                randomToken(), now, now + lifetime.toMillis());
        byHash.put(EnrollmentTokens.sha256(cookie), new Entry(s, now));
        return new Opened(cookie, s);
    }

    /** The live session for a cookie value, touched; empty when unknown, expired or idle too long. */
    Optional<Session> find(String cookieValue) {
        if (cookieValue == null || cookieValue.isEmpty() || cookieValue.length() > 128) {
            return Optional.empty();
        }
        String key = EnrollmentTokens.sha256(cookieValue);
        Entry e = byHash.get(key);
        long now = clock.millis();
        if (e == null) {
            return Optional.empty();
        }
        if (!alive(e, now)) {
            byHash.remove(key);
            return Optional.empty();
        }
        e.lastUsedUnixMs = now;
        return Optional.of(e.session);
    }

    void close(String cookieValue) {
        if (cookieValue != null && cookieValue.length() <= 128) {
            byHash.remove(EnrollmentTokens.sha256(cookieValue));
        }
    }

    /** When a session would end if it stayed busy: the earlier of its lifetime and the idle bound from now. */
    long expiresAt(Session s) {
        return Math.min(s.expiresUnixMs(), clock.millis() + idle.toMillis());
    }

    private boolean alive(Entry e, long now) {
        return now < e.session.expiresUnixMs() && now - e.lastUsedUnixMs < idle.toMillis();
    }

    private String randomToken() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
