package io.fedlora.crypto;

import java.util.Objects;

/**
 * One Shamir share: the evaluation point {@code index} (a client position, never 0) and the
 * 33-byte big-endian field element {@code value}.
 */
public record ShamirShare(int index, SecretBytes value) {
  public ShamirShare {
    Objects.requireNonNull(value, "value");
    if (index < 1 || index > ShamirSecretSharing.MAX_INDEX) {
      throw new IllegalArgumentException("share index must be in 1.." + ShamirSecretSharing.MAX_INDEX);
    }
    if (value.size() != ShamirSecretSharing.SHARE_SIZE) {
      throw new IllegalArgumentException("share value must be " + ShamirSecretSharing.SHARE_SIZE + " bytes");
    }
  }
}
