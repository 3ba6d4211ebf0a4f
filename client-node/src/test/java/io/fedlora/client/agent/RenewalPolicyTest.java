package io.fedlora.client.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.CertificateAuthority;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.crypto.pki.IssueRequest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RenewalPolicyTest {

    private static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void aThirdOfTheLifetimeByDefault() {
        X509Certificate cert = certificate(Duration.ofDays(360));
        RenewalPolicy p = RenewalPolicy.defaults();
        assertFalse(p.isDue(cert, ISSUED));
        assertFalse(p.isDue(cert, ISSUED.plus(Duration.ofDays(239))));
        assertTrue(p.isDue(cert, ISSUED.plus(Duration.ofDays(241))));
        assertTrue(p.isDue(cert, ISSUED.plus(Duration.ofDays(400))), "expired is due too");
    }

    @Test
    void aDurationWinsWhenItIsTheEarlier() {
        X509Certificate cert = certificate(Duration.ofDays(30));
        RenewalPolicy p = new RenewalPolicy(0.1, Duration.ofDays(7), Duration.ofHours(1));
        assertFalse(p.isDue(cert, ISSUED.plus(Duration.ofDays(22))));
        assertTrue(p.isDue(cert, ISSUED.plus(Duration.ofDays(24))), "7 days left is more than a tenth of 30");
    }

    @Test
    void parametersAreCheckedWhenMade() {
        assertThrows(IllegalArgumentException.class, () -> new RenewalPolicy(1, Duration.ZERO, Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> new RenewalPolicy(0, Duration.ZERO, Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> new RenewalPolicy(0.3, Duration.ofDays(-1), Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> new RenewalPolicy(0.3, Duration.ZERO, Duration.ZERO));
    }

    private static X509Certificate certificate(Duration lifetime) {
        SecureRandom r = new SecureRandom();
        CertificateAuthority ca = CertificateAuthority.generate("ca", ISSUED, Duration.ofDays(3650), r);
        return ca.issue(IssueRequest.client("node-1", CertificateRole.AGENT, EcKeys.generateP256(r).getPublic(),
                Optional.of(Ed25519PrivateKey.generate(r).publicKey()), ISSUED, ISSUED.plus(lifetime)), r);
    }
}
