package io.fedlora.coordinator.trust;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.time.InstantSource;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;

/**
 * The server side of the coordinator's TLS: TLS 1.3 only, its fresh server certificate, and client
 * certificates checked by {@link ClientCertificateVerifier}. Client authentication is OPTIONAL at
 * this layer only so that an enrolling client, which has no certificate yet, can reach Enroll;
 * {@code auth.CallAuthorizer} refuses every other call without one.
 */
public final class ServerTls {

    private ServerTls() {}

    public static SslContext context(CoordinatorPki pki, CoordinatorPki.ServerCertificate server, InstantSource clock,
            Predicate<String> revoked) throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(server.key(), server.certificate(),
                        pki.caCertificate()))
                .protocols("TLSv1.3")
                .clientAuth(ClientAuth.OPTIONAL)
                .trustManager(new ClientCertificateVerifier(pki.caCertificate(), clock, revoked))
                .build();
    }
}
