package io.fedlora.coordinator.app;

import io.fedlora.coordinator.auth.Caller;
import io.fedlora.crypto.pki.CertificateRole;

/**
 * Who asks: an operator's name, its role, and how the coordinator knows it (a verified client
 * certificate, a dashboard session, or the development transport where everyone is admin).
 */
public record Principal(String name, CertificateRole role, Authentication via) {

    /** How a principal was authenticated. */
    public enum Authentication { CERTIFICATE, SESSION, DEVELOPMENT }

    public Principal {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: required");
        }
        if (role == null || via == null) {
            throw new IllegalArgumentException("role and via: required");
        }
    }

    /** The principal behind a gRPC caller. */
    public static Principal of(Caller caller) {
        return new Principal(caller.subjectId(), caller.role(),
                caller.development() ? Authentication.DEVELOPMENT : Authentication.CERTIFICATE);
    }

    /** The role as the audit log writes it. */
    public String roleLabel() {
        return via == Authentication.DEVELOPMENT ? "development" : role.label();
    }

    @Override
    public String toString() {
        return via == Authentication.DEVELOPMENT ? "development" : role.label() + " " + name;
    }
}
