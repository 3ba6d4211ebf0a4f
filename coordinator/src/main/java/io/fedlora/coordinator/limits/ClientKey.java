package io.fedlora.coordinator.limits;

import io.fedlora.coordinator.auth.PeerCertificate;
import io.grpc.Grpc;
import io.grpc.ServerCall;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Whom a call counts against: the subject of its client certificate (verified in the handshake, so it
 * names one enrolled node or operator), or, for a call without one, the peer's IP address (not its
 * port, which a flooding client changes at will).
 */
record ClientKey(String value, boolean certified) {

    static ClientKey of(ServerCall<?, ?> call) {
        Optional<X509Certificate> cert = PeerCertificate.of(call);
        if (cert.isPresent()) {
            return new ClientKey(cert.get().getSubjectX500Principal().getName(), true);
        }
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String address = peer instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(peer);
        return new ClientKey(address, false);
    }

    /** For messages and logs: which client, as an operator would look it up. */
    String describe() {
        return certified ? "client " + value : "address " + value + " (no client certificate)";
    }
}
