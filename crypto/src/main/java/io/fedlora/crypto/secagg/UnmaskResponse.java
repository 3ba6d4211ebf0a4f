package io.fedlora.crypto.secagg;

import java.util.List;
import java.util.Objects;

/**
 * Stage 4, client → server: the requested shares. Body: u16 count, then count × (owner id, kind
 * u8, 33-byte share).
 */
public record UnmaskResponse(RoundId roundId, ClientId sender, List<RevealedShare> shares)
    implements ClientMessage {
  public UnmaskResponse {
    Objects.requireNonNull(roundId, "roundId");
    Objects.requireNonNull(sender, "sender");
    shares = List.copyOf(shares);
  }

  @Override
  public MessageType type() {
    return MessageType.UNMASK_RESPONSE;
  }

  @Override
  public byte[] toBytes() {
    return Codec.encode(this);
  }

  public static UnmaskResponse parse(byte[] bytes) {
    return (UnmaskResponse) Codec.parse(bytes, MessageType.UNMASK_RESPONSE);
  }
}
