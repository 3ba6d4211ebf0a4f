package io.fedlora.crypto.secagg;

import static io.fedlora.crypto.internal.Wire.int64;
import static io.fedlora.crypto.internal.Wire.lengthPrefixed;
import static io.fedlora.crypto.internal.Wire.utf8;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.X25519PublicKey;
import java.util.Objects;

/**
 * A client's two round public keys (share encryption, pairwise masks), signed with its long-term
 * Ed25519 identity key over LP("fedlora/secagg/v1/advertise") ‖ LP(job) ‖ LP(round) ‖ LP(owner) ‖
 * LP(encryptionKey) ‖ LP(maskKey) — so the server cannot swap keys unseen or replay them into
 * another round. Wire body: owner (u16+UTF-8), 32, 32, 64 bytes.
 */
public record SignedKeys(
    ClientId owner, X25519PublicKey encryptionKey, X25519PublicKey maskKey, Bytes signature) {
  public SignedKeys {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(encryptionKey, "encryptionKey");
    Objects.requireNonNull(maskKey, "maskKey");
    Objects.requireNonNull(signature, "signature");
    if (signature.size() != Ed25519PublicKey.SIGNATURE_SIZE) {
      throw new IllegalArgumentException("signature must be 64 bytes");
    }
  }

  static byte[] signedPayload(
      RoundId roundId, ClientId owner, X25519PublicKey encryptionKey, X25519PublicKey maskKey) {
    return lengthPrefixed(utf8("fedlora/secagg/v1/advertise"), utf8(roundId.jobId()),
        int64(roundId.round()), owner.utf8(), encryptionKey.toBytes(), maskKey.toBytes());
  }

  static SignedKeys sign(RoundId roundId, ClientId owner, X25519PublicKey enc, X25519PublicKey mask,
      Ed25519PrivateKey identity) {
    return new SignedKeys(owner, enc, mask, identity.sign(signedPayload(roundId, owner, enc, mask)));
  }

  /** Whether the signature verifies under {@code identity} for {@code roundId}. */
  public boolean verifies(RoundId roundId, Ed25519PublicKey identity) {
    try {
      identity.verify(signature, signedPayload(roundId, owner, encryptionKey, maskKey));
      return true;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }
}
