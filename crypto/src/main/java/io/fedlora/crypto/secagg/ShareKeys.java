package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import java.util.List;
import java.util.Objects;

/**
 * Stage 2, client → server: one {@link EncryptedShare} per neighbour, and a SHA-256 commitment to
 * the dealer's self-mask seed (checked after reconstruction). Body: digest (32), u16 count, then
 * count × (holder id, u16 ciphertext length + ciphertext, 32, 32).
 */
public record ShareKeys(RoundId roundId, ClientId sender, Bytes selfSeedDigest, List<EncryptedShare> shares)
    implements ClientMessage {
  public ShareKeys {
    Objects.requireNonNull(roundId, "roundId");
    Objects.requireNonNull(sender, "sender");
    if (selfSeedDigest.size() != 32) {
      throw new IllegalArgumentException("selfSeedDigest must be 32 bytes");
    }
    shares = List.copyOf(shares);
  }

  @Override
  public MessageType type() {
    return MessageType.SHARE_KEYS;
  }

  @Override
  public byte[] toBytes() {
    return Codec.encode(this);
  }

  public static ShareKeys parse(byte[] bytes) {
    return (ShareKeys) Codec.parse(bytes, MessageType.SHARE_KEYS);
  }
}
