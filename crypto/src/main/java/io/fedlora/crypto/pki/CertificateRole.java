package io.fedlora.crypto.pki;

import java.util.Locale;

/**
 * What a certificate's holder is allowed to be, carried in the subject's OU. Operator roles are
 * ordered: an admin may do what an operator may, and an operator what a viewer may. Agents and the
 * coordinator's own server certificate stand apart from that order.
 */
public enum CertificateRole {
  /** A client node: the agent API, for its own node id only. */
  AGENT,
  /** Read-only access to the admin API. */
  VIEWER,
  /** A viewer that may also start (and stop) jobs. */
  OPERATOR,
  /** Everything: jobs, enrollment tokens, revocation, the audit log. */
  ADMIN,
  /** The coordinator's TLS server certificate; never accepted from a client. */
  COORDINATOR;

  /** The OU value, e.g. {@code agent}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static CertificateRole fromLabel(String label) {
    for (CertificateRole r : values()) {
      if (r.label().equals(label)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + label + "' (agent, viewer, operator, admin)");
  }

  public boolean isOperatorRole() {
    return this == VIEWER || this == OPERATOR || this == ADMIN;
  }

  /** Whether this role includes {@code required}: operator roles nest, the others only match themselves. */
  public boolean includes(CertificateRole required) {
    if (isOperatorRole() && required.isOperatorRole()) {
      return ordinal() >= required.ordinal();
    }
    return this == required;
  }
}
