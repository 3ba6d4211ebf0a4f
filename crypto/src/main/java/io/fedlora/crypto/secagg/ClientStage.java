package io.fedlora.crypto.secagg;

/** Client state machine: NEW → ADVERTISED → SHARED → READY_TO_MASK → MASKED → DONE (or ABORTED). */
public enum ClientStage {
  NEW,
  ADVERTISED,
  SHARED,
  READY_TO_MASK,
  MASKED,
  DONE,
  ABORTED
}
