package io.fedlora.coordinator.app;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.ResourceExhausted;
import io.fedlora.coordinator.CoordinatorException.Unauthenticated;
import io.fedlora.coordinator.trust.EnrollmentTokens;
import io.fedlora.crypto.pki.CertificateRole;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One-time dashboard sign-in tokens ({@code fedlora admin dashboard-login}): 256 random bits, kept
 * only as their sha256, for one name and one operator role, single use and expiring. They live in the
 * coordinator's memory: a restart voids them, which only means asking for a new link.
 */
public final class DashboardLogins {

    public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
    public static final Duration MAX_TTL = Duration.ofHours(24);
    static final String PREFIX = "fdl1.";
    private static final int MAX_OUTSTANDING = 1000;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Who a token signs in, until when. */
    public record Grant(String name, CertificateRole role, long expiresUnixMs) {}

    /** A token just made: {@code token} is the secret, shown once. */
    public record Issued(String token, Grant grant) {
        @Override
        public String toString() {
            return "DashboardLogins.Issued[token redacted, " + grant + "]";
        }
    }

    private final Map<String, Grant> byHash = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final SecureRandom random;

    public DashboardLogins(InstantSource clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    /** Makes a token for {@code name} as {@code role} (viewer, operator or admin), valid for {@code ttl}. */
    public Issued issue(String name, CertificateRole role, Duration ttl) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidArgument("name: 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit");
        }
        if (role != CertificateRole.VIEWER && role != CertificateRole.OPERATOR && role != CertificateRole.ADMIN) {
            throw new InvalidArgument("role: viewer, operator or admin");
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidArgument("ttl: must be between 1 s and 24 h, got " + ttl.toSeconds() + " s");
        }
        long now = clock.millis();
        byHash.values().removeIf(g -> g.expiresUnixMs() <= now);
        if (byHash.size() >= MAX_OUTSTANDING) {
            throw new ResourceExhausted("dashboard logins: " + MAX_OUTSTANDING + " are outstanding; retry when some"
                    + " have been used or have expired");
        }
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Grant g = new Grant(name, role, now + ttl.toMillis());
        byHash.put(EnrollmentTokens.sha256(token), g);
        return new Issued(token, g);
    }

    /** Uses up {@code token}: its grant, or UNAUTHENTICATED when it is unknown, used or expired. */
    public Grant redeem(String token) {
        if (token == null || token.isEmpty() || token.length() > 128) {
            throw new Unauthenticated("token: a sign-in token is required");
        }
        Grant g = byHash.remove(EnrollmentTokens.sha256(token));
        if (g == null) {
            throw new Unauthenticated("token: not a valid sign-in token (unknown, or already used)");
        }
        if (g.expiresUnixMs() <= clock.millis()) {
            throw new Unauthenticated("token: this sign-in token has expired; ask for a new link");
        }
        return g;
    }
}
