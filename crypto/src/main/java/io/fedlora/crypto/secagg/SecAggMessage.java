package io.fedlora.crypto.secagg;

/**
 * A SecAgg+ protocol message. Wire format (big-endian unless stated): magic "FS" (0x46 0x53),
 * version 1, type code (u8), job id (u16 length + UTF-8), round (i64), party id (u16 length +
 * UTF-8: the sender of a {@link ClientMessage}, the recipient of a {@link ServerMessage}), then
 * the type's body (see each record). Encoding is deterministic; {@link #parse} checks every
 * length, rejects unknown types and trailing bytes, and throws {@link MalformedMessageException}.
 */
public sealed interface SecAggMessage permits ClientMessage, ServerMessage {
  RoundId roundId();

  MessageType type();

  byte[] toBytes();

  /** Parses any SecAgg message. */
  static SecAggMessage parse(byte[] bytes) {
    return Codec.parse(bytes, null);
  }
}
