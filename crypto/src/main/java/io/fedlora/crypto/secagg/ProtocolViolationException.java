package io.fedlora.crypto.secagg;

import java.util.Objects;

/**
 * A well-formed message that breaks the protocol. Names the offending client; the server drops
 * that client from the rest of the round and the round goes on (or aborts if too few remain).
 */
public final class ProtocolViolationException extends SecAggException {
  private static final long serialVersionUID = 1L;

  /** What the offender did. */
  public enum Reason {
    WRONG_JOB,
    WRONG_ROUND,
    NOT_IN_COHORT,
    NOT_EXPECTED_IN_STAGE,
    DUPLICATE_MESSAGE,
    BAD_SIGNATURE,
    WRONG_VECTOR_LENGTH,
    BAD_SHARE_SET,
    DUPLICATE_SHARE,
    FORGED_SHARE,
    UNREQUESTED_SHARE,
    BAD_KEY,
    INVALID_SERVER_MESSAGE
  }

  private final ClientId offender;
  private final Reason reason;

  public ProtocolViolationException(ClientId offender, Reason reason, String detail) {
    super("client " + offender + ": " + reason + (detail.isEmpty() ? "" : " (" + detail + ")"));
    this.offender = Objects.requireNonNull(offender);
    this.reason = Objects.requireNonNull(reason);
  }

  public ClientId offender() {
    return offender;
  }

  public Reason reason() {
    return reason;
  }
}
