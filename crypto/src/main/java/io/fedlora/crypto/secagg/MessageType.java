package io.fedlora.crypto.secagg;

/** Wire type codes; each belongs to exactly one protocol stage. */
public enum MessageType {
  ADVERTISE_KEYS(1),
  KEY_DIRECTORY(2),
  SHARE_KEYS(3),
  SHARE_BUNDLE(4),
  MASKED_INPUT(5),
  UNMASK_REQUEST(6),
  UNMASK_RESPONSE(7);

  private final int code;

  MessageType(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  static MessageType fromCode(int code) {
    for (MessageType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
