package io.fedlora.coordinator.trust;

import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.PeerIdentity;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Decides, during the TLS handshake, whether a client certificate is acceptable: issued by this
 * coordinator's CA (PKIX, at the coordinator's clock), valid now, meant for client authentication,
 * following fedlora's profile, and not revoked. Anything else fails the handshake. Never trusts a
 * server: the coordinator makes no outgoing TLS connections.
 */
final class ClientCertificateVerifier extends X509ExtendedTrustManager {

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private final X509Certificate ca;
    private final InstantSource clock;
    private final Predicate<String> revoked;

    ClientCertificateVerifier(X509Certificate ca, InstantSource clock, Predicate<String> revoked) {
        this.ca = ca;
        this.clock = clock;
        this.revoked = revoked;
    }

    void verify(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("no client certificate");
        }
        X509Certificate leaf = chain[0];
        try {
            PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
            p.setRevocationEnabled(false); // revocation is ours, by subject, below
            p.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), p);
        } catch (GeneralSecurityException e) {
            throw new CertificateException("client certificate not valid for this coordinator's CA: " + e.getMessage(), e);
        }
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new CertificateException("client certificate extended key usage is malformed", e);
        }
        if (eku == null || !eku.contains(CLIENT_AUTH)) {
            throw new CertificateException("certificate is not for client authentication");
        }
        PeerIdentity id;
        try {
            id = PeerIdentity.of(leaf);
        } catch (InvalidCertificateException e) {
            throw new CertificateException(e.getMessage(), e);
        }
        if (id.role() == CertificateRole.COORDINATOR) {
            throw new CertificateException("a server certificate cannot authenticate a client");
        }
        if (revoked.test(id.subjectId())) {
            throw new CertificateException("certificate of " + id + " has been revoked");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the coordinator trusts no servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the coordinator trusts no servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the coordinator trusts no servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[] {ca};
    }
}
