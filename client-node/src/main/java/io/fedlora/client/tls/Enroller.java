package io.fedlora.client.tls;

import com.google.protobuf.ByteString;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.CertificateSigningRequest;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.crypto.pki.IdentityProof;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.Pem;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.proto.v1.EnrollRequest;
import io.fedlora.proto.v1.EnrollResponse;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.fedlora.proto.v1.RenewRequest;
import io.grpc.Channel;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The client side of enrollment and renewal: makes an EC P-256 key pair here (the private key never leaves this
 * process except into the caller's owner-only file), sends a CSR with the one-time token, and checks
 * what comes back: a certificate for our key, signed by the CA we trust, naming the identity key we
 * asked for.
 */
public final class Enroller {

    /** The certificate we got and who it says we are (the node id, for an agent). */
    public record Enrolled(String subjectId, CertificateRole role, TlsCredentials credentials) {}

    private Enroller() {}

    /**
     * Enrols over {@code channel} (server-authenticated TLS to the coordinator).
     *
     * @param identity an agent's Ed25519 identity key, put in the certificate; empty for operators
     */
    public static Enrolled enroll(Channel channel, EnrollmentToken token, String name, X509Certificate ca,
            Optional<Ed25519PrivateKey> identity, Duration timeout, SecureRandom random)
            throws InvalidCertificateException {
        KeyPair kp = EcKeys.generateP256(random);
        EnrollRequest.Builder req = EnrollRequest.newBuilder()
                .setToken(token.reveal())
                .setName(name)
                .setCsr(ByteString.copyFrom(CertificateSigningRequest.create(kp, name,
                        identity.map(Ed25519PrivateKey::publicKey))));
        identity.ifPresent(id -> req.setIdentityKeyProof(ByteString.copyFrom(
                IdentityProof.sign(id, kp.getPublic()).toByteArray())));
        EnrollResponse r = EnrollmentServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).enroll(req.build());
        X509Certificate cert = Pem.fromDer(r.getCertificate().toByteArray());
        check(r, cert, kp, ca, identity);
        PeerIdentity id = PeerIdentity.of(cert);
        return new Enrolled(id.subjectId(), id.role(), new TlsCredentials(kp.getPrivate(), cert, ca));
    }

    /**
     * Renews {@code current} over {@code channel} (mutual TLS presenting it): a fresh key made here, a
     * CSR with this node's identity key and a proof, as at enrollment. Checks that the new certificate
     * is for the new key, signed by the same CA, and names the same node and identity key.
     */
    public static Enrolled renew(Channel channel, TlsCredentials current, Ed25519PrivateKey identity, Duration timeout,
            SecureRandom random) throws InvalidCertificateException {
        PeerIdentity me = PeerIdentity.of(current.certificate());
        KeyPair kp = EcKeys.generateP256(random);
        RenewRequest req = RenewRequest.newBuilder()
                .setSubjectId(me.subjectId())
                .setCsr(ByteString.copyFrom(CertificateSigningRequest.create(kp, me.subjectId(),
                        Optional.of(identity.publicKey()))))
                .setIdentityKeyProof(ByteString.copyFrom(IdentityProof.sign(identity, kp.getPublic()).toByteArray()))
                .build();
        EnrollResponse r = EnrollmentServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).renew(req);
        X509Certificate cert = Pem.fromDer(r.getCertificate().toByteArray());
        check(r, cert, kp, current.caCertificate(), Optional.of(identity));
        PeerIdentity renewed = PeerIdentity.of(cert);
        if (!renewed.subjectId().equals(me.subjectId()) || renewed.role() != me.role()) {
            throw new InvalidCertificateException("the renewed certificate names " + renewed + ", not " + me);
        }
        return new Enrolled(renewed.subjectId(), renewed.role(), new TlsCredentials(kp.getPrivate(), cert,
                current.caCertificate()));
    }

    private static void check(EnrollResponse r, X509Certificate cert, KeyPair kp, X509Certificate ca,
            Optional<Ed25519PrivateKey> identity) throws InvalidCertificateException {
        try {
            if (!Arrays.equals(r.getCaCertificate().toByteArray(), ca.getEncoded())) {
                throw new InvalidCertificateException("the coordinator answered with a CA other than the one trusted");
            }
            cert.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new InvalidCertificateException("the enrolled certificate is not signed by the trusted CA", e);
        }
        if (!cert.getPublicKey().equals(kp.getPublic())) {
            throw new InvalidCertificateException("the enrolled certificate is not for the key this client made");
        }
        PeerIdentity id = PeerIdentity.of(cert);
        if (!id.subjectId().equals(r.getSubjectId())) {
            throw new InvalidCertificateException("the enrolled certificate names " + id.subjectId() + ", the reply "
                    + r.getSubjectId());
        }
        if (!id.identityKey().equals(identity.map(Ed25519PrivateKey::publicKey))) {
            throw new InvalidCertificateException("the enrolled certificate does not carry this node's identity key");
        }
    }
}
