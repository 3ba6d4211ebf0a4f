package io.fedlora.crypto.secagg;

import java.util.Objects;

/**
 * Stage 3, client → server: y = x + PRG(b) + Σ_v ±PRG(s_uv) mod 2^32. Body: i32 word count, then
 * the words, 4 bytes each, little-endian.
 */
public record MaskedInput(RoundId roundId, ClientId sender, MaskedVector vector) implements ClientMessage {
  public MaskedInput {
    Objects.requireNonNull(roundId, "roundId");
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(vector, "vector");
  }

  @Override
  public MessageType type() {
    return MessageType.MASKED_INPUT;
  }

  @Override
  public byte[] toBytes() {
    return Codec.encode(this);
  }

  public static MaskedInput parse(byte[] bytes) {
    return (MaskedInput) Codec.parse(bytes, MessageType.MASKED_INPUT);
  }
}
