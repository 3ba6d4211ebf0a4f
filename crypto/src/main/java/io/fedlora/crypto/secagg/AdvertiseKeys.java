package io.fedlora.crypto.secagg;

import java.util.Objects;

/** Stage 1, client → server: the client's signed round keys. Body: {@link SignedKeys} minus owner. */
public record AdvertiseKeys(RoundId roundId, SignedKeys keys) implements ClientMessage {
  public AdvertiseKeys {
    Objects.requireNonNull(roundId, "roundId");
    Objects.requireNonNull(keys, "keys");
  }

  @Override
  public ClientId sender() {
    return keys.owner();
  }

  @Override
  public MessageType type() {
    return MessageType.ADVERTISE_KEYS;
  }

  @Override
  public byte[] toBytes() {
    return Codec.encode(this);
  }

  public static AdvertiseKeys parse(byte[] bytes) {
    return (AdvertiseKeys) Codec.parse(bytes, MessageType.ADVERTISE_KEYS);
  }
}
