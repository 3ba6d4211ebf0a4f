package io.fedlora.crypto.secagg;

import java.util.List;
import java.util.Objects;

/**
 * Stage 3 → 4, server → client: among the recipient's mask peers, those whose masked input arrived
 * ({@code survivors}: reveal their self-seed shares) and those whose did not ({@code dropped}:
 * reveal their mask-key shares). Disjoint. Body: u16 count + ids, u16 count + ids.
 */
public record UnmaskRequest(RoundId roundId, ClientId recipient, List<ClientId> survivors,
    List<ClientId> dropped) implements ServerMessage {
  public UnmaskRequest {
    Objects.requireNonNull(roundId, "roundId");
    Objects.requireNonNull(recipient, "recipient");
    survivors = List.copyOf(survivors);
    dropped = List.copyOf(dropped);
  }

  @Override
  public MessageType type() {
    return MessageType.UNMASK_REQUEST;
  }

  @Override
  public byte[] toBytes() {
    return Codec.encode(this);
  }

  public static UnmaskRequest parse(byte[] bytes) {
    return (UnmaskRequest) Codec.parse(bytes, MessageType.UNMASK_REQUEST);
  }
}
