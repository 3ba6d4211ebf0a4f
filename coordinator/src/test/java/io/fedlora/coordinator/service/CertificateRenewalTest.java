package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.CertificateSigningRequest;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.crypto.pki.IdentityProof;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.Pem;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.AuditEntry;
import io.fedlora.proto.v1.EnrollResponse;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.fedlora.proto.v1.IssuedCertificate;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.ListCertificatesRequest;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.RenewRequest;
import io.fedlora.proto.v1.RevokeRequest;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renew over mutual TLS on 127.0.0.1: an agent renews only its own certificate (same node id and
 * identity key, a new key and serial), the old certificate keeps working until it expires, and a
 * revoked, expired or other node's certificate gets nothing.
 */
class CertificateRenewalTest {

    @TempDir
    Path dir;

    private final io.fedlora.coordinator.Fixtures.OffsetClock clock = new io.fedlora.coordinator.Fixtures.OffsetClock();
    private CoordinatorServer server;
    private TlsTestClients clients;
    private TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust;

    @BeforeEach
    void start() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ofMillis(200))
                .roundTiming(new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(20))).build());
        clients = new TlsTestClients(server, dir);
        trust = TrustAdminServiceGrpc.newBlockingStub(clients.adminChannel());
    }

    @AfterEach
    void stop() throws Exception {
        clients.close();
        server.close();
    }

    @Test
    void anAgentRenewsItsOwnCertificateAndTheOldOneWorksUntilItExpires() throws Exception {
        TlsTestClients.Enrolled a = clients.enrollAgent("hospital-a");
        ManagedChannel oldChannel = clients.channel(Optional.of(a.credentials()));
        register(oldChannel, a);

        KeyPair fresh = EcKeys.generateP256(clients.random());
        EnrollResponse r = renew(oldChannel, a.subjectId(), fresh, a.identity());
        X509Certificate renewed = Pem.fromDer(r.getCertificate().toByteArray());
        PeerIdentity id = PeerIdentity.of(renewed);
        X509Certificate old = a.credentials().certificate();
        assertEquals(a.subjectId(), id.subjectId(), "same node id");
        assertEquals(a.identity().publicKey(), id.identityKey().orElseThrow(), "same identity key");
        assertEquals(fresh.getPublic(), renewed.getPublicKey(), "the new key the node made");
        assertNotEquals(old.getSerialNumber(), renewed.getSerialNumber());
        assertEquals(renewed.getSerialNumber().toString(16), r.getSerial());
        assertTrue(!renewed.getNotAfter().before(old.getNotAfter()));
        renewed.verify(clients.ca.getPublicKey());

        // Both are in the register, under the node's name; both work, on open and new connections.
        List<IssuedCertificate> mine = certificatesOf(a.subjectId());
        assertEquals(java.util.Set.of(old.getSerialNumber().toString(16), r.getSerial()),
                mine.stream().map(IssuedCertificate::getSerial).collect(java.util.stream.Collectors.toSet()));
        assertTrue(mine.stream().allMatch(c -> c.getName().equals("hospital-a") && c.getRole().equals("agent")));
        register(oldChannel, a);
        register(clients.channel(Optional.of(a.credentials())), a);
        ManagedChannel newChannel = clients.channel(Optional.of(new TlsCredentials(fresh.getPrivate(), renewed, clients.ca)));
        register(newChannel, a);
        // And the renewed certificate renews in turn.
        renew(newChannel, a.subjectId(), EcKeys.generateP256(clients.random()), a.identity());

        assertTrue(audit().stream().anyMatch(e -> e.getAction().equals("EnrollmentService/Renew")
                && e.getActor().equals(a.subjectId()) && e.getOutcome().equals("OK")
                && e.getTarget().contains("serial=" + r.getSerial())), audit().toString());
    }

    @Test
    void aRevokedNodeCannotRenew() throws Exception {
        TlsTestClients.Enrolled a = clients.enrollAgent("hospital-a");
        ManagedChannel ch = clients.channel(Optional.of(a.credentials()));
        register(ch, a);
        trust.revoke(RevokeRequest.newBuilder().setSubjectId(a.subjectId()).setReason("stolen").build());
        int before = certificatesOf(a.subjectId()).size();

        assertStatus(Status.Code.UNAUTHENTICATED, "revoked",
                () -> renew(ch, a.subjectId(), EcKeys.generateP256(clients.random()), a.identity()));
        // A new connection does not get past the handshake.
        assertStatus(Status.Code.UNAVAILABLE, "", () -> renew(clients.channel(Optional.of(a.credentials())),
                a.subjectId(), EcKeys.generateP256(clients.random()), a.identity()));
        assertEquals(before, certificatesOf(a.subjectId()).size());
        assertTrue(audit().stream().anyMatch(e -> e.getAction().equals("EnrollmentService/Renew")
                && e.getActor().equals(a.subjectId()) && e.getOutcome().equals("UNAUTHENTICATED")));
    }

    @Test
    void aNodeCannotRenewAsAnotherOrWithAnotherKey() throws Exception {
        TlsTestClients.Enrolled a = clients.enrollAgent("hospital-a");
        TlsTestClients.Enrolled b = clients.enrollAgent("hospital-b");
        var operator = clients.enrollOperator("otto", "admin");
        ManagedChannel asA = clients.channel(Optional.of(a.credentials()));
        String before = trust.listCertificates(ListCertificatesRequest.getDefaultInstance()).toString();

        // As node B, even with B's identity key: the certificate decides who is renewed.
        assertStatus(Status.Code.PERMISSION_DENIED, "not node '" + b.subjectId() + "'",
                () -> renew(asA, b.subjectId(), EcKeys.generateP256(clients.random()), b.identity()));
        // As itself but naming another identity key (one it holds, with a valid proof).
        Ed25519PrivateKey other = Ed25519PrivateKey.generate(clients.random());
        assertStatus(Status.Code.PERMISSION_DENIED, "identity key",
                () -> renew(asA, a.subjectId(), EcKeys.generateP256(clients.random()), other));
        // A proof by another key, a broken CSR, the current key again.
        KeyPair kp = EcKeys.generateP256(clients.random());
        RenewRequest badProof = request(a.subjectId(), kp, a.identity()).toBuilder()
                .setIdentityKeyProof(ByteString.copyFrom(IdentityProof.sign(other, kp.getPublic()).toByteArray())).build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "identity_key_proof", () -> stub(asA).renew(badProof));
        assertStatus(Status.Code.INVALID_ARGUMENT, "csr", () -> stub(asA).renew(request(a.subjectId(), kp,
                a.identity()).toBuilder().setCsr(ByteString.copyFromUtf8("not a csr")).build()));
        KeyPair current = new KeyPair(a.credentials().certificate().getPublicKey(), a.credentials().key());
        assertStatus(Status.Code.INVALID_ARGUMENT, "fresh TLS key",
                () -> renew(asA, a.subjectId(), current, a.identity()));
        // Without a certificate, or as an operator: not an agent renewing itself.
        assertStatus(Status.Code.UNAUTHENTICATED, "client certificate is required",
                () -> renew(clients.anonymous(), a.subjectId(), kp, a.identity()));
        assertStatus(Status.Code.PERMISSION_DENIED, "needs agent", () -> renew(clients.channel(
                Optional.of(operator.credentials())), "otto", kp, a.identity()));
        assertEquals(before, trust.listCertificates(ListCertificatesRequest.getDefaultInstance()).toString(),
                "refusals issue nothing");
    }

    @Test
    void aCertificateThatExpiredOnAnOpenConnectionIsRefused() throws Exception {
        TlsTestClients.Enrolled a = clients.enrollAgent("hospital-a");
        ManagedChannel ch = clients.channel(Optional.of(a.credentials()));
        register(ch, a);
        assertEquals(1, certificatesOf(a.subjectId()).size());
        clock.advance(Duration.ofDays(366)); // the coordinator's clock: every certificate, the admin's too, has expired
        assertStatus(Status.Code.UNAUTHENTICATED, "expired",
                () -> renew(ch, a.subjectId(), EcKeys.generateP256(clients.random()), a.identity()));
        assertStatus(Status.Code.UNAUTHENTICATED, "expired", () -> register(ch, a));
    }

    // ---- helpers ----

    private static EnrollmentServiceGrpc.EnrollmentServiceBlockingStub stub(Channel ch) {
        return EnrollmentServiceGrpc.newBlockingStub(ch);
    }

    private static EnrollResponse renew(Channel ch, String subjectId, KeyPair kp, Ed25519PrivateKey identity) {
        return stub(ch).renew(request(subjectId, kp, identity));
    }

    private static RenewRequest request(String subjectId, KeyPair kp, Ed25519PrivateKey identity) {
        return RenewRequest.newBuilder().setSubjectId(subjectId)
                .setCsr(ByteString.copyFrom(CertificateSigningRequest.create(kp, subjectId,
                        Optional.of(identity.publicKey()))))
                .setIdentityKeyProof(ByteString.copyFrom(IdentityProof.sign(identity, kp.getPublic()).toByteArray()))
                .build();
    }

    private static void register(Channel ch, TlsTestClients.Enrolled a) {
        String id = AgentServiceGrpc.newBlockingStub(ch).register(RegisterRequest.newBuilder().setNodeId(a.subjectId())
                .setNodeName("hospital-a").addBaseModelSha256(Fixtures.MODEL_SHA)
                .setIdentityKey(ByteString.copyFrom(a.identity().publicKey().toBytes())).build()).getNodeId();
        assertEquals(a.subjectId(), id);
    }

    private List<IssuedCertificate> certificatesOf(String subject) {
        return trust.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesList().stream()
                .filter(c -> c.getSubjectId().equals(subject)).toList();
    }

    private List<AuditEntry> audit() {
        return trust.listAuditLog(ListAuditLogRequest.newBuilder().setLimit(1000).build()).getEntriesList();
    }

    private static void assertStatus(Status.Code code, String text, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains(text), e.getStatus().toString());
    }
}
