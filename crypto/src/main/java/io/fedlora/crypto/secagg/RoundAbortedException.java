package io.fedlora.crypto.secagg;

import java.util.Optional;

/**
 * The round cannot finish correctly, so it stops instead of producing a wrong sum. A client raises
 * it when it refuses to go on (too few live neighbours); the server when too few clients survive
 * a stage or a secret cannot be rebuilt; the coordinator when the unmasked sum does not decode.
 */
public final class RoundAbortedException extends SecAggException {
  private static final long serialVersionUID = 1L;

  /** Why the round stopped. */
  public enum Reason {
    TOO_FEW_SURVIVORS,
    TOO_FEW_NEIGHBOURS,
    TOO_FEW_SHARES,
    INCONSISTENT_DEALER,
    /** The unmasked sum is no sum of valid encodings: some client masked garbage (masks hide which). */
    INVALID_SUM
  }

  private final Reason reason;
  private final ClientId client;

  public RoundAbortedException(Reason reason, ClientId client, String detail) {
    super("round aborted: " + reason + (client == null ? "" : " (client " + client + ")")
        + (detail.isEmpty() ? "" : ": " + detail));
    this.reason = reason;
    this.client = client;
  }

  public Reason reason() {
    return reason;
  }

  /** The client concerned, when there is one. */
  public Optional<ClientId> client() {
    return Optional.ofNullable(client);
  }
}
