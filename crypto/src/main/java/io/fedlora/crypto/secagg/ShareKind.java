package io.fedlora.crypto.secagg;

/** Which secret a share belongs to. */
public enum ShareKind {
  /** The self-mask seed b (revealed for clients whose input arrived). */
  SELF_SEED(1),
  /** The pairwise-mask private key (revealed for clients that dropped before sending input). */
  MASK_KEY(2);

  private final int code;

  ShareKind(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  static ShareKind fromCode(int code) {
    return code == 1 ? SELF_SEED : code == 2 ? MASK_KEY : null;
  }
}
