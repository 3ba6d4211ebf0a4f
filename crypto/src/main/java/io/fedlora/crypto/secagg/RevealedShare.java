package io.fedlora.crypto.secagg;

import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.ShamirSecretSharing;
import java.util.Objects;

/** A share of {@code owner}'s secret, revealed by the sender of the carrying response. */
public record RevealedShare(ClientId owner, ShareKind kind, SecretBytes value) {
  public RevealedShare {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(kind, "kind");
    if (value.size() != ShamirSecretSharing.SHARE_SIZE) {
      throw new IllegalArgumentException("share value must be 33 bytes");
    }
  }
}
