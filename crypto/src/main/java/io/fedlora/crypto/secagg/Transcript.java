package io.fedlora.crypto.secagg;

import static io.fedlora.crypto.internal.Wire.int32;
import static io.fedlora.crypto.internal.Wire.int64;
import static io.fedlora.crypto.internal.Wire.lengthPrefixed;
import static io.fedlora.crypto.internal.Wire.utf8;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.KeyDerivation;
import io.fedlora.crypto.SecretBytes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/** Domain-separated keys, associated data and commitments of one round. */
final class Transcript {
  static final String SHARE_KEY = "fedlora/secagg/v1/share-encryption";
  static final String PAIR_MASK = "fedlora/secagg/v1/pairwise-mask";

  private final RoundId roundId;
  private final KeyDerivation kd;

  Transcript(RoundId roundId) {
    this.roundId = roundId;
    this.kd = KeyDerivation.forRound(roundId.jobId(), roundId.round());
  }

  /** Directional: the dealer → holder share-encryption key. */
  SecretBytes shareKey(SecretBytes dh, ClientId dealer, ClientId holder) {
    return kd.deriveKey(dh, SHARE_KEY, dealer.value(), holder.value());
  }

  /** Symmetric: ids in cohort-position order, so both ends derive the same seed. */
  SecretBytes pairMaskSeed(SecretBytes dh, ClientId lower, ClientId higher) {
    return kd.deriveKey(dh, PAIR_MASK, lower.value(), higher.value());
  }

  byte[] shareAad(ClientId dealer, ClientId holder) {
    return lengthPrefixed(utf8("fedlora/secagg/v1/share-aad"), utf8(roundId.jobId()),
        int64(roundId.round()), dealer.utf8(), holder.utf8());
  }

  Bytes shareDigest(ClientId dealer, ClientId holder, ShareKind kind, int index, byte[] value) {
    return sha256(lengthPrefixed(utf8("fedlora/secagg/v1/share-commit"), utf8(roundId.jobId()),
        int64(roundId.round()), dealer.utf8(), holder.utf8(), int32(kind.code()), int32(index), value));
  }

  Bytes selfSeedDigest(ClientId dealer, byte[] seed) {
    return sha256(lengthPrefixed(utf8("fedlora/secagg/v1/seed-commit"), utf8(roundId.jobId()),
        int64(roundId.round()), dealer.utf8(), seed));
  }

  private static Bytes sha256(byte[] in) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(in);
      Arrays.fill(in, (byte) 0);
      return Bytes.copyOf(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
