package io.fedlora.deploy.doctor;

import io.fedlora.crypto.pki.TlsCredentials;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * The node's certificate and the CA it trusts are valid now and for a while yet. The agent renews its
 * own certificate when a third of its lifetime is left, so one close to expiry means renewal has
 * been failing.
 */
final class CertificateExpiryCheck extends CredentialedCheck {

    static final Duration WARN_WITHIN = Duration.ofDays(14);

    private final InstantSource clock;

    CertificateExpiryCheck(CoordinatorEndpoint endpoint, InstantSource clock) {
        super(endpoint);
        this.clock = clock;
    }

    @Override
    public String name() {
        return "certificates";
    }

    @Override
    CheckResult check(TlsCredentials creds) {
        Instant now = clock.instant();
        String node = describe(TlsCredentials.CERT_FILE, creds.certificate(), now);
        String ca = describe(TlsCredentials.CA_FILE, creds.caCertificate(), now);
        String what = node + "; " + ca;
        if (!valid(creds.certificate(), now) || !valid(creds.caCertificate(), now)) {
            return CheckResult.fail(name(), endpoint.credentialsDir() + ": " + what);
        }
        Instant soonest = earlier(creds.certificate().getNotAfter().toInstant(),
                creds.caCertificate().getNotAfter().toInstant());
        return soonest.isBefore(now.plus(WARN_WITHIN))
                ? CheckResult.warn(name(), what + ": under " + WARN_WITHIN.toDays() + " days left")
                : CheckResult.ok(name(), what);
    }

    private static boolean valid(X509Certificate c, Instant now) {
        return !now.isBefore(c.getNotBefore().toInstant()) && now.isBefore(c.getNotAfter().toInstant());
    }

    private static String describe(String file, X509Certificate c, Instant now) {
        Instant from = c.getNotBefore().toInstant();
        Instant until = c.getNotAfter().toInstant();
        if (now.isBefore(from)) {
            return file + " not valid before " + from + " (is this clock behind?)";
        }
        if (!now.isBefore(until)) {
            return file + " expired " + until;
        }
        return file + " valid until " + until + " (" + Duration.between(now, until).toDays() + " days)";
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
