package io.fedlora.crypto.secagg;

import java.util.List;
import java.util.Objects;

/**
 * Stage 2 → 3, server → client: the shares dealt to the recipient by neighbours that completed
 * stage 2 and to which the recipient dealt. These dealers are exactly the peers the recipient masks
 * with. Body: u16 count, then count × (dealer id, u16 length + ciphertext).
 */
public record ShareBundle(RoundId roundId, ClientId recipient, List<RoutedShare> shares)
    implements ServerMessage {
  public ShareBundle {
    Objects.requireNonNull(roundId, "roundId");
    Objects.requireNonNull(recipient, "recipient");
    shares = List.copyOf(shares);
  }

  @Override
  public MessageType type() {
    return MessageType.SHARE_BUNDLE;
  }

  @Override
  public byte[] toBytes() {
    return Codec.encode(this);
  }

  public static ShareBundle parse(byte[] bytes) {
    return (ShareBundle) Codec.parse(bytes, MessageType.SHARE_BUNDLE);
  }
}
