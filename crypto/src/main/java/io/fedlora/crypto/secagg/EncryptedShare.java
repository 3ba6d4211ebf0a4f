package io.fedlora.crypto.secagg;

import java.util.Objects;
import io.fedlora.crypto.Bytes;

/**
 * The dealer's shares for one holder: AES-256-GCM ciphertext (nonce ‖ ct ‖ tag, 94 bytes) of the
 * holder's self-seed share and mask-key share, plus SHA-256 commitments to each share that the
 * server later checks revealed shares against (shares are uniformly random field elements, so the
 * digests reveal nothing about them).
 */
public record EncryptedShare(
    ClientId holder, Bytes ciphertext, Bytes selfSeedShareDigest, Bytes maskKeyShareDigest) {
  public static final int CIPHERTEXT_SIZE = 12 + 66 + 16;

  public EncryptedShare {
    Objects.requireNonNull(holder, "holder");
    if (ciphertext.size() != CIPHERTEXT_SIZE) {
      throw new IllegalArgumentException("share ciphertext must be " + CIPHERTEXT_SIZE + " bytes");
    }
    if (selfSeedShareDigest.size() != 32 || maskKeyShareDigest.size() != 32) {
      throw new IllegalArgumentException("share digests must be 32 bytes");
    }
  }
}
