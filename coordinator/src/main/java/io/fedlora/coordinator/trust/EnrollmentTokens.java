package io.fedlora.coordinator.trust;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.PermissionDenied;
import io.fedlora.coordinator.CoordinatorException.ResourceExhausted;
import io.fedlora.coordinator.CoordinatorException.Unauthenticated;
import io.fedlora.coordinator.store.EnrollmentTokenRecord;
import io.fedlora.coordinator.store.TrustRecordStore;
import io.fedlora.crypto.pki.CertificateProfile;
import io.fedlora.crypto.pki.CertificateRole;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HexFormat;

/**
 * One-time enrollment tokens: 256 random bits, handed out once and stored only as their sha256,
 * bound to a name and a role, expiring. A token is looked up by its hash, so comparing it leaks
 * nothing through timing. At most a set number may be outstanding (neither used nor expired) at once,
 * so a runaway script cannot fill the store with live credentials.
 */
public final class EnrollmentTokens {

    static final String PREFIX = "flt1.";
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    public static final Duration MAX_TTL = Duration.ofDays(30);

    private final TrustRecordStore store;
    private final InstantSource clock;
    private final SecureRandom random;
    private final int maxOutstanding;

    /** A freshly created token: {@code token} is the secret, shown to the admin once. */
    public record Issued(String token, EnrollmentTokenRecord record) {
        @Override
        public String toString() {
            return "EnrollmentTokens.Issued[token redacted, name=" + record.name() + ", role=" + record.role() + "]";
        }
    }

    /** @param maxOutstanding tokens that may be neither used nor expired at once */
    public EnrollmentTokens(TrustRecordStore store, InstantSource clock, SecureRandom random, int maxOutstanding) {
        this.store = store;
        this.clock = clock;
        this.random = random;
        this.maxOutstanding = maxOutstanding;
    }

    /** Synchronized so that two concurrent calls cannot both take the last place under the bound. */
    public synchronized Issued create(String name, CertificateRole role, Duration ttl, String createdBy) {
        requireName(name);
        if (role == CertificateRole.COORDINATOR) {
            throw new InvalidArgument("role: agent, viewer, operator or admin");
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidArgument("ttl: must be between 1 s and 30 days, got " + ttl.toSeconds() + " s");
        }
        long now = clock.millis();
        int outstanding = store.outstandingEnrollmentTokens(now);
        if (outstanding >= maxOutstanding) {
            throw new ResourceExhausted("enrollment tokens: " + outstanding + " are outstanding (neither used nor"
                    + " expired), the limit is " + maxOutstanding + "; retry when some have been used or have expired");
        }
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        EnrollmentTokenRecord r = new EnrollmentTokenRecord(sha256(token), name, role, now, now + ttl.toMillis(),
                createdBy, 0, "");
        store.insertEnrollmentToken(r);
        return new Issued(token, r);
    }

    /**
     * The stored token for {@code token} if it may enrol {@code name} now: UNAUTHENTICATED when it is
     * unknown, used or expired, PERMISSION_DENIED when it was issued for another name. Changes nothing.
     */
    public EnrollmentTokenRecord check(String token, String name) {
        if (token.isEmpty() || token.length() > 128) {
            throw new Unauthenticated("token: an enrollment token is required");
        }
        EnrollmentTokenRecord r = store.enrollmentToken(sha256(token))
                .orElseThrow(() -> new Unauthenticated("token: not a valid enrollment token"));
        if (r.isUsed()) {
            throw new Unauthenticated("token: this enrollment token has already been used");
        }
        if (r.isExpiredAt(clock.millis())) {
            throw new Unauthenticated("token: this enrollment token has expired");
        }
        if (!r.name().equals(name)) {
            throw new PermissionDenied("name: this enrollment token was not issued for '" + name + "'");
        }
        return r;
    }

    static void requireName(String name) {
        if (!CertificateProfile.SUBJECT_ID.matcher(name).matches()) {
            throw new InvalidArgument("name: 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit");
        }
    }

    public static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
