package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.coordinator.trust.CoordinatorPki;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.CertificateAuthority;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.crypto.pki.IssueRequest;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.AuditEntry;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DeclineTaskRequest;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.ListCertificatesRequest;
import io.fedlora.proto.v1.ListJobsRequest;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.MetricsReport;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.RevokeRequest;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile clients against a coordinator on a real TLS port on 127.0.0.1: each attack gets the status
 * it should (a handshake failure, which gRPC reports as UNAVAILABLE, or UNAUTHENTICATED or
 * PERMISSION_DENIED) and leaves jobs, rounds, nodes and issued certificates exactly as they were.
 */
class TrustAttackTest {

    @TempDir
    Path dir;

    private final io.fedlora.coordinator.Fixtures.OffsetClock clock = new io.fedlora.coordinator.Fixtures.OffsetClock();
    private CoordinatorServer server;
    private TlsTestClients clients;
    private AdminServiceGrpc.AdminServiceBlockingStub admin;
    private TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust;
    private final List<GrpcTestAgent> agents = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).host("127.0.0.1").port(0).insecurePlaintext(true)
                .clock(clock).heartbeatInterval(Duration.ofMillis(200))
                .roundTiming(new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(20))).build());
        clients = new TlsTestClients(server, dir);
        admin = AdminServiceGrpc.newBlockingStub(clients.adminChannel());
        trust = TrustAdminServiceGrpc.newBlockingStub(clients.adminChannel());
    }

    @AfterEach
    void stop() throws Exception {
        agents.forEach(GrpcTestAgent::close);
        clients.close();
        server.close();
    }

    // ---- transport: who may connect at all ----

    @Test
    void withoutAClientCertificateOnlyEnrollmentIsReachable() throws Exception {
        String job = createJob();
        String before = snapshot();
        ManagedChannel anon = clients.anonymous();
        assertStatus(Status.Code.UNAUTHENTICATED, "client certificate is required", () -> AgentServiceGrpc
                .newBlockingStub(anon).register(RegisterRequest.newBuilder().setNodeName("x").build()));
        assertStatus(Status.Code.UNAUTHENTICATED, "client certificate is required",
                () -> AdminServiceGrpc.newBlockingStub(anon).createJob(CreateJobRequest.newBuilder()
                        .setConfig(Fixtures.config(1, 1, 1, 10)).build()));
        assertStatus(Status.Code.UNAUTHENTICATED, "client certificate is required",
                () -> AdminServiceGrpc.newBlockingStub(anon).startJob(JobRef.newBuilder().setJobId(job).build()));
        assertStatus(Status.Code.UNAUTHENTICATED, "client certificate is required",
                () -> TrustAdminServiceGrpc.newBlockingStub(anon).createEnrollmentToken(
                        CreateEnrollmentTokenRequest.newBuilder().setName("mallory").build()));
        assertEquals(before, snapshot());
        // The refusals are in the audit log, as anonymous.
        assertTrue(audit().stream().anyMatch(e -> e.getActor().equals("anonymous")
                && e.getAction().equals("AdminService/CreateJob") && e.getOutcome().equals("UNAUTHENTICATED")));
    }

    @Test
    void aCertificateFromAnotherCaFailsTheHandshake() throws Exception {
        String before = snapshot();
        CertificateAuthority other = CertificateAuthority.generate("attacker CA", Instant.now(), Duration.ofDays(1),
                clients.random());
        TlsCredentials forged = issue(other, CoordinatorPki.LOCAL_ADMIN, CertificateRole.ADMIN,
                Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
        ManagedChannel ch = clients.channel(Optional.of(forged));
        assertStatus(Status.Code.UNAVAILABLE, "", () -> AdminServiceGrpc.newBlockingStub(ch)
                .createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 1, 1, 10)).build()));
        assertEquals(before, snapshot());
    }

    @Test
    void anExpiredCertificateFailsTheHandshake() throws Exception {
        String before = snapshot();
        TlsCredentials expired = issue(clients.coordinatorCa(), CoordinatorPki.LOCAL_ADMIN, CertificateRole.ADMIN,
                Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)));
        ManagedChannel ch = clients.channel(Optional.of(expired));
        assertStatus(Status.Code.UNAVAILABLE, "", () -> AdminServiceGrpc.newBlockingStub(ch)
                .createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 1, 1, 10)).build()));
        assertEquals(before, snapshot());
    }

    @Test
    void aServerCertificateCannotAuthenticateAClient() throws Exception {
        KeyPair kp = EcKeys.generateP256(clients.random());
        X509Certificate cert = clients.coordinatorCa().issue(IssueRequest.server(List.of("127.0.0.1"), kp.getPublic(),
                Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600)), clients.random());
        ManagedChannel ch = clients.channel(Optional.of(new TlsCredentials(kp.getPrivate(), cert, clients.ca)));
        assertStatus(Status.Code.UNAVAILABLE, "", () -> AdminServiceGrpc.newBlockingStub(ch)
                .listJobs(ListJobsRequest.getDefaultInstance()));
    }

    @Test
    void onlyTls13IsSpokenAndTheServerCertificateNamesLoopback() throws Exception {
        assertThrows(javax.net.ssl.SSLException.class, () -> handshake("TLSv1.2"));
        javax.net.ssl.SSLSession s = handshake("TLSv1.3");
        assertEquals("TLSv1.3", s.getProtocol());
        X509Certificate serverCert = (X509Certificate) s.getPeerCertificates()[0];
        var names = serverCert.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList();
        assertTrue(names.containsAll(List.of("localhost", "127.0.0.1")), names.toString());
    }

    /** A bare JDK TLS client (trusting the coordinator's CA, no client certificate) limited to {@code protocol}. */
    private javax.net.ssl.SSLSession handshake(String protocol) throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, TlsCredentials.trustOnly(clients.ca), null);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
                .createSocket("127.0.0.1", server.port())) {
            javax.net.ssl.SSLParameters p = socket.getSSLParameters();
            p.setProtocols(new String[] {protocol});
            p.setApplicationProtocols(new String[] {"h2"});
            p.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(p);
            socket.setSoTimeout(5000);
            socket.startHandshake();
            return socket.getSession();
        }
    }

    // ---- revocation ----

    @Test
    void revocationDropsTheStreamRefusesEveryCallAndExcludesTheNodeFromRounds() throws Exception {
        GrpcTestAgent a = agent("hospital-a", true);
        GrpcTestAgent b = agent("hospital-b", true);
        ManagedChannel aChannel = clients.channel(Optional.of(enrolledByName.get("hospital-a").credentials()));

        var revoked = trust.revoke(RevokeRequest.newBuilder().setSubjectId(a.nodeId).setReason("laptop stolen").build());
        assertEquals(1, revoked.getCertificatesRevoked());
        assertTrue(revoked.getWasConnected());
        Fixtures.await("the revoked node's stream to end", Duration.ofSeconds(5), () -> !a.errors.isEmpty() || !isConnected(a));

        // An open connection: every call now refused.
        assertStatus(Status.Code.UNAUTHENTICATED, "revoked", () -> AgentServiceGrpc.newBlockingStub(a.channel)
                .register(RegisterRequest.newBuilder().setNodeId(a.nodeId).setNodeName("hospital-a")
                        .setIdentityKey(ByteString.copyFrom(a.identityKey)).build()));
        assertStatus(Status.Code.UNAUTHENTICATED, "revoked", () -> connectOnce(a.channel, a.nodeId));
        // A new connection: refused in the handshake.
        assertStatus(Status.Code.UNAVAILABLE, "", () -> AgentServiceGrpc.newBlockingStub(aChannel)
                .register(RegisterRequest.newBuilder().setNodeName("hospital-a").build()));
        // Revoking again changes nothing; revoking an unknown subject is NOT_FOUND.
        trust.revoke(RevokeRequest.newBuilder().setSubjectId(a.nodeId).build());
        assertStatus(Status.Code.NOT_FOUND, "no certificate", () -> trust.revoke(
                RevokeRequest.newBuilder().setSubjectId("nobody").build()));
        assertStatus(Status.Code.FAILED_PRECONDITION, "own certificate", () -> trust.revoke(
                RevokeRequest.newBuilder().setSubjectId(CoordinatorPki.LOCAL_ADMIN).build()));
        assertTrue(trust.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesList().stream()
                .anyMatch(c -> c.getSubjectId().equals(a.nodeId) && c.getRevoked()));

        // A job that would take both nodes gets only the unrevoked one.
        String job = admin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 2, 1, 30)).build())
                .getJobId();
        admin.startJob(JobRef.newBuilder().setJobId(job).build());
        Job done = server.awaitJob(job, Duration.ofSeconds(30));
        RoundSummary r = admin.listRounds(JobRef.newBuilder().setJobId(job).build()).getRounds(0);
        assertEquals(List.of(b.nodeId), r.getSelectedNodesList());
        assertEquals(1, done.getCompletedRounds());
        assertEquals(0, a.accepted.get());
        assertTrue(audit().stream().anyMatch(e -> e.getAction().equals("TrustAdminService/Revoke")
                && e.getTarget().contains("subject_id=" + a.nodeId) && e.getOutcome().equals("OK")
                && e.getActor().equals("local-admin")));
    }

    // ---- roles ----

    @Test
    void anAgentCannotCallTheAdminApis() throws Exception {
        GrpcTestAgent a = agent("hospital-a", false);
        String job = createJob();
        String before = snapshot();
        var asAdmin = AdminServiceGrpc.newBlockingStub(a.channel);
        assertStatus(Status.Code.PERMISSION_DENIED, "role agent may not call AdminService/CreateJob",
                () -> asAdmin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 1, 1, 10)).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asAdmin.startJob(JobRef.newBuilder().setJobId(job).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asAdmin.listJobs(ListJobsRequest.getDefaultInstance()));
        var asTrust = TrustAdminServiceGrpc.newBlockingStub(a.channel);
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asTrust.createEnrollmentToken(
                CreateEnrollmentTokenRequest.newBuilder().setName("sybil").build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asTrust.revoke(
                RevokeRequest.newBuilder().setSubjectId(a.nodeId).build()));
        assertEquals(before, snapshot());
        assertTrue(audit().stream().anyMatch(e -> e.getActor().equals(a.nodeId) && e.getActorRole().equals("agent")
                && e.getAction().equals("AdminService/CreateJob") && e.getOutcome().equals("PERMISSION_DENIED")));
    }

    @Test
    void viewersReadOperatorsStartJobsAdminsDoEverything() throws Exception {
        String job = createJob();
        var viewer = clients.enrollOperator("vera", "viewer");
        var operator = clients.enrollOperator("otto", "operator");
        assertEquals(CertificateRole.VIEWER, PeerIdentity.of(viewer.credentials().certificate()).role());
        var asViewer = AdminServiceGrpc.newBlockingStub(clients.channel(Optional.of(viewer.credentials())));
        var asOperator = AdminServiceGrpc.newBlockingStub(clients.channel(Optional.of(operator.credentials())));
        String before = snapshot();

        assertEquals(1, asViewer.listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount());
        assertEquals(job, asViewer.getJob(JobRef.newBuilder().setJobId(job).build()).getJobId());
        assertStatus(Status.Code.PERMISSION_DENIED, "needs operator",
                () -> asViewer.startJob(JobRef.newBuilder().setJobId(job).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "needs admin", () -> asOperator.createJob(
                CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 1, 1, 10)).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "needs admin", () -> TrustAdminServiceGrpc.newBlockingStub(
                clients.channel(Optional.of(operator.credentials()))).createEnrollmentToken(
                        CreateEnrollmentTokenRequest.newBuilder().setName("x").build()));
        // Operators are not agents either.
        assertStatus(Status.Code.PERMISSION_DENIED, "needs agent", () -> AgentServiceGrpc.newBlockingStub(
                clients.channel(Optional.of(operator.credentials()))).register(RegisterRequest.newBuilder()
                        .setNodeName("otto").build()));
        assertEquals(before, snapshot());

        assertEquals("JOB_STATE_RUNNING", asOperator.startJob(JobRef.newBuilder().setJobId(job).build()).getState().name());
        assertTrue(audit().stream().anyMatch(e -> e.getActor().equals("otto") && e.getAction().equals("AdminService/StartJob")
                && e.getOutcome().equals("OK") && e.getTarget().contains("job_id=" + job)));
    }

    // ---- a node acting for another ----

    @Test
    void anAgentCannotActForAnotherNode() throws Exception {
        GrpcTestAgent a = agent("hospital-a", false);
        GrpcTestAgent b = agent("hospital-b", true);
        String job = createJob();
        String before = snapshot();
        var asA = AgentServiceGrpc.newBlockingStub(a.channel);
        String other = b.nodeId;
        assertStatus(Status.Code.PERMISSION_DENIED, "not node '" + other + "'", () -> asA.register(RegisterRequest
                .newBuilder().setNodeId(other).setNodeName("hospital-b").addBaseModelSha256(Fixtures.MODEL_SHA)
                .setIdentityKey(ByteString.copyFrom(a.identityKey)).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> connectOnce(a.channel, other));
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asA.fetchAdapter(FetchAdapterRequest.newBuilder()
                .setNodeId(other).setJobId(job).setAdapterVersion(0).build()).hasNext());
        float[] d = new float[Fixtures.smallLayout().getTensorsList().stream()
                .mapToInt(t -> (int) t.getShapeList().stream().mapToLong(Long::longValue).reduce(1, (x, y) -> x * y)).sum()];
        UpdateHeader forged = UpdateHeader.newBuilder().setNodeId(other).setJobId(job).setRound(1)
                .setEncoding(UpdateEncoding.UPDATE_ENCODING_PLAINTEXT_F32).setElementCount(d.length)
                .setNumExamples(10).setPayloadSha256(io.fedlora.adapter.Sha256.hex(
                        io.fedlora.adapter.FlatAdapter.toLittleEndian(d))).build();
        Status s = a.submit(GrpcTestAgent.uploads(forged, io.fedlora.adapter.FlatAdapter.toLittleEndian(d)));
        assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), s.toString());
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asA.sendSecAgg(SecAggEnvelope.newBuilder()
                .setNodeId(other).setJobId(job).setRound(1).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asA.declineTask(DeclineTaskRequest.newBuilder()
                .setNodeId(other).setJobId(job).setRound(1).build()));
        assertStatus(Status.Code.PERMISSION_DENIED, "", () -> asA.reportMetrics(MetricsReport.newBuilder()
                .setNodeId(other).setJobId(job).setRound(1).putMetrics("epsilon", 1).build()));
        // Nor register its own node with an identity key other than the certified one.
        byte[] otherKey = Ed25519PrivateKey.generate(clients.random()).publicKey().toBytes();
        assertStatus(Status.Code.PERMISSION_DENIED, "identity_key", () -> asA.register(RegisterRequest.newBuilder()
                .setNodeName("hospital-a").addBaseModelSha256(Fixtures.MODEL_SHA)
                .setIdentityKey(ByteString.copyFrom(otherKey)).build()));
        assertEquals(before, snapshot());
        assertTrue(b.errors.isEmpty());
    }

    // ---- enrollment tokens ----

    @Test
    void enrollmentTokensAreSingleUseExpiringAndBoundToAName() throws Exception {
        String before = snapshot();
        var enroll = EnrollmentServiceGrpc.newBlockingStub(clients.anonymous());
        KeyPair kp = EcKeys.generateP256(clients.random());
        Ed25519PrivateKey id = Ed25519PrivateKey.generate(clients.random());

        assertStatus(Status.Code.UNAUTHENTICATED, "not a valid enrollment token",
                () -> enroll.enroll(TlsTestClients.request("flt1.made-up", "hospital-a", kp, id)));
        String token = clients.token("hospital-a", "agent", 600);
        assertStatus(Status.Code.PERMISSION_DENIED, "not issued for 'hospital-b'",
                () -> enroll.enroll(TlsTestClients.request(token, "hospital-b", kp, id)));
        // A request without the identity key, or whose proof is for another key, is refused too.
        var noKey = TlsTestClients.request(token, "hospital-a", kp, null);
        assertStatus(Status.Code.INVALID_ARGUMENT, "identity key", () -> enroll.enroll(noKey));
        var badProof = TlsTestClients.request(token, "hospital-a", kp, id).toBuilder()
                .setIdentityKeyProof(ByteString.copyFrom(new byte[64])).build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "identity_key_proof", () -> enroll.enroll(badProof));
        assertStatus(Status.Code.INVALID_ARGUMENT, "csr", () -> enroll.enroll(TlsTestClients.request(token,
                "hospital-a", kp, id).toBuilder().setCsr(ByteString.copyFromUtf8("not a csr")).build()));
        assertEquals(before, snapshot(), "refused enrollments issue nothing");

        // The token was not spent by those refusals: it still enrols hospital-a, once.
        var ok = enroll.enroll(TlsTestClients.request(token, "hospital-a", kp, id));
        X509Certificate cert = io.fedlora.crypto.pki.Pem.fromDer(ok.getCertificate().toByteArray());
        PeerIdentity pid = PeerIdentity.of(cert);
        assertEquals(ok.getSubjectId(), pid.subjectId());
        assertEquals(id.publicKey(), pid.identityKey().orElseThrow());
        assertEquals(List.of("urn:fedlora:agent:" + ok.getSubjectId()), PeerIdentity.uris(cert));
        String afterFirst = snapshot();
        assertStatus(Status.Code.UNAUTHENTICATED, "already been used",
                () -> enroll.enroll(TlsTestClients.request(token, "hospital-a", EcKeys.generateP256(clients.random()),
                        Ed25519PrivateKey.generate(clients.random()))));

        String shortLived = clients.token("hospital-c", "agent", 60);
        clock.advance(Duration.ofSeconds(61));
        assertStatus(Status.Code.UNAUTHENTICATED, "expired",
                () -> enroll.enroll(TlsTestClients.request(shortLived, "hospital-c", kp, id)));
        assertEquals(afterFirst, snapshot());

        // Only the hash is stored: the token itself appears in no file of the data dir.
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(content.contains(token), f + " holds an enrollment token");
                assertFalse(content.contains(shortLived), f + " holds an enrollment token");
            }
        }
        for (AuditEntry e : audit()) {
            assertFalse(e.getTarget().contains(token) || e.getDetail().contains(token), e.toString());
        }
    }

    @Test
    void keysAtRestAreOwnerOnly() throws Exception {
        for (String f : List.of("pki/ca.key", "pki/admin/client.key")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve(f))), f);
        }
    }

    // ---- helpers ----

    private final java.util.Map<String, TlsTestClients.Enrolled> enrolledByName = new java.util.HashMap<>();

    /** Enrols, registers with the certified identity key and (optionally) connects an agent on its own mTLS channel. */
    private GrpcTestAgent agent(String name, boolean automatic) throws Exception {
        TlsTestClients.Enrolled e = clients.enrollAgent(name);
        enrolledByName.put(name, e);
        ManagedChannel ch = clients.channel(Optional.of(e.credentials()));
        GrpcTestAgent a = new GrpcTestAgent(ch, name, 10, automatic);
        a.identityKey = e.identity().publicKey().toBytes();
        assertEquals(e.subjectId(), a.register(), "a certified agent registers as the node its certificate names");
        a.connect();
        agents.add(a);
        return a;
    }

    private boolean isConnected(GrpcTestAgent a) {
        return admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().stream()
                .anyMatch(n -> n.getNodeId().equals(a.nodeId) && n.getConnected());
    }

    private static void connectOnce(io.grpc.Channel ch, String nodeId) {
        Iterator<io.fedlora.proto.v1.AgentEvent> it = AgentServiceGrpc.newBlockingStub(ch)
                .withDeadlineAfter(5, TimeUnit.SECONDS).connect(ConnectRequest.newBuilder().setNodeId(nodeId).build());
        it.hasNext();
    }

    private String createJob() {
        return admin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 5, 5, 30)).build()).getJobId();
    }

    private List<AuditEntry> audit() {
        return trust.listAuditLog(ListAuditLogRequest.newBuilder().setLimit(1000).build()).getEntriesList();
    }

    /** Jobs, their rounds, registered nodes and issued certificates, as the admin sees them. */
    private String snapshot() {
        StringBuilder s = new StringBuilder();
        for (Job j : admin.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()) {
            s.append(j.getJobId()).append(' ').append(j.getState()).append(' ').append(j.getCompletedRounds()).append('\n');
            s.append(admin.listRounds(JobRef.newBuilder().setJobId(j.getJobId()).build())).append('\n');
        }
        admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().forEach(n -> s.append(n.getNodeId())
                .append(' ').append(n.getNodeName()).append(' ').append(n.getBaseModelSha256List()).append('\n'));
        s.append(trust.listCertificates(ListCertificatesRequest.getDefaultInstance()));
        return s.toString();
    }

    private static TlsCredentials issue(CertificateAuthority ca, String subject, CertificateRole role, Instant from,
            Instant to) {
        KeyPair kp = EcKeys.generateP256(new java.security.SecureRandom());
        X509Certificate cert = ca.issue(IssueRequest.client(subject, role, kp.getPublic(), Optional.empty(), from, to),
                new java.security.SecureRandom());
        return new TlsCredentials(kp.getPrivate(), cert, ca.certificate());
    }

    private static void assertStatus(Status.Code code, String text, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains(text), e.getStatus().toString());
    }
}
