package io.fedlora.crypto.secagg;

/** Server state machine, one stage per protocol round, then COMPLETED or ABORTED. */
public enum ServerStage {
  COLLECTING_KEYS(MessageType.ADVERTISE_KEYS),
  COLLECTING_SHARES(MessageType.SHARE_KEYS),
  COLLECTING_MASKED_INPUTS(MessageType.MASKED_INPUT),
  COLLECTING_UNMASK_SHARES(MessageType.UNMASK_RESPONSE),
  COMPLETED(null),
  ABORTED(null);

  private final MessageType accepts;

  ServerStage(MessageType accepts) {
    this.accepts = accepts;
  }

  /** The only client message type this stage accepts; null for terminal stages. */
  public MessageType accepts() {
    return accepts;
  }
}
