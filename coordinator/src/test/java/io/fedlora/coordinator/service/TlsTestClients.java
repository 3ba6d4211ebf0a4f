package io.fedlora.coordinator.service;

import com.google.protobuf.ByteString;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.trust.CoordinatorPki;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.CertificateAuthority;
import io.fedlora.crypto.pki.CertificateSigningRequest;
import io.fedlora.crypto.pki.IdentityProof;
import io.fedlora.crypto.pki.Pem;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.EnrollRequest;
import io.fedlora.proto.v1.EnrollResponse;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Clients of a TLS coordinator for tests: the local admin, anonymous TLS, enrolled agents and
 * operators, and certificates the coordinator should refuse. Every channel made here is closed by
 * {@link #close()}.
 */
final class TlsTestClients implements AutoCloseable {

    /** An enrolled client: its subject id (node id for agents), credentials and, for agents, identity key. */
    record Enrolled(String subjectId, TlsCredentials credentials, Ed25519PrivateKey identity) {}

    private final int port;
    private final Path dataDir;
    private final SecureRandom random = new SecureRandom();
    private final List<ManagedChannel> channels = new ArrayList<>();
    final X509Certificate ca;
    final TlsCredentials admin;

    TlsTestClients(CoordinatorServer server, Path dataDir) throws Exception {
        this.port = server.port();
        this.dataDir = dataDir;
        this.admin = TlsCredentials.load(server.adminCredentialsDir().orElseThrow());
        this.ca = admin.caCertificate();
    }

    ManagedChannel adminChannel() {
        return channel(Optional.of(admin));
    }

    /** TLS that trusts the coordinator but presents no client certificate. */
    ManagedChannel anonymous() {
        return channel(Optional.empty());
    }

    ManagedChannel channel(Optional<TlsCredentials> client) {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(TlsCredentials.trustOnly(ca));
        client.ifPresent(c -> b.keyManager(new AlwaysPresent(c)));
        ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, b.build()).build();
        channels.add(ch);
        return ch;
    }

    String token(String name, String role, long ttlSeconds) {
        return TrustAdminServiceGrpc.newBlockingStub(adminChannel()).createEnrollmentToken(
                CreateEnrollmentTokenRequest.newBuilder().setName(name).setRole(role).setTtlSeconds(ttlSeconds).build())
                .getToken();
    }

    Enrolled enrollAgent(String name) throws Exception {
        return enroll(token(name, "agent", 600), name, true);
    }

    Enrolled enrollOperator(String name, String role) throws Exception {
        return enroll(token(name, role, 600), name, false);
    }

    Enrolled enroll(String token, String name, boolean agent) throws Exception {
        KeyPair kp = EcKeys.generateP256(random);
        Ed25519PrivateKey identity = agent ? Ed25519PrivateKey.generate(random) : null;
        EnrollResponse r = EnrollmentServiceGrpc.newBlockingStub(anonymous()).enroll(request(token, name, kp, identity));
        X509Certificate cert = Pem.fromDer(r.getCertificate().toByteArray());
        return new Enrolled(r.getSubjectId(), new TlsCredentials(kp.getPrivate(), cert,
                Pem.fromDer(r.getCaCertificate().toByteArray())), identity);
    }

    static EnrollRequest request(String token, String name, KeyPair kp, Ed25519PrivateKey identity) {
        EnrollRequest.Builder b = EnrollRequest.newBuilder().setToken(token).setName(name)
                .setCsr(ByteString.copyFrom(CertificateSigningRequest.create(kp, name,
                        Optional.ofNullable(identity).map(Ed25519PrivateKey::publicKey))));
        if (identity != null) {
            b.setIdentityKeyProof(ByteString.copyFrom(IdentityProof.sign(identity, kp.getPublic()).toByteArray()));
        }
        return b.build();
    }

    /** The coordinator's own CA, read from its data dir as an attacker with the files could (for expired certs). */
    CertificateAuthority coordinatorCa() throws Exception {
        Path pki = dataDir.resolve(CoordinatorPki.DIR);
        PrivateKey key = Pem.parsePrivateKey(Files.readString(pki.resolve(CoordinatorPki.CA_KEY), StandardCharsets.US_ASCII),
                Optional.empty());
        return CertificateAuthority.of(TlsCredentials.readCertificate(pki.resolve(CoordinatorPki.CA_CERT)), key);
    }

    SecureRandom random() {
        return random;
    }

    @Override
    public void close() throws InterruptedException {
        for (ManagedChannel ch : channels) {
            ch.shutdownNow();
        }
        for (ManagedChannel ch : channels) {
            ch.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Presents its certificate whatever CAs the server asks for, as an attacker's client would. */
    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final TlsCredentials c;

        AlwaysPresent(TlsCredentials c) {
            this.c = c;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"client"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "client";
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return new X509Certificate[] {c.certificate()};
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return c.key();
        }
    }
}
