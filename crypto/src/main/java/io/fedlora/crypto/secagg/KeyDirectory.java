package io.fedlora.crypto.secagg;

import java.util.List;
import java.util.Objects;

/**
 * Stage 1 → 2, server → client: the signed keys of the recipient's neighbours that advertised.
 * Body: u16 count, then count × {@link SignedKeys}.
 */
public record KeyDirectory(RoundId roundId, ClientId recipient, List<SignedKeys> peers)
    implements ServerMessage {
  public KeyDirectory {
    Objects.requireNonNull(roundId, "roundId");
    Objects.requireNonNull(recipient, "recipient");
    peers = List.copyOf(peers);
  }

  @Override
  public MessageType type() {
    return MessageType.KEY_DIRECTORY;
  }

  @Override
  public byte[] toBytes() {
    return Codec.encode(this);
  }

  public static KeyDirectory parse(byte[] bytes) {
    return (KeyDirectory) Codec.parse(bytes, MessageType.KEY_DIRECTORY);
  }
}
