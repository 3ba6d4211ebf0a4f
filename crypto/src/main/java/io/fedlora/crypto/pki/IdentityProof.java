package io.fedlora.crypto.pki;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidSignatureException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;

/**
 * Proof that whoever asks for a certificate carrying an Ed25519 identity key holds its private
 * half: an Ed25519 signature over a fixed label and the sha256 of the TLS key being certified. It
 * binds the two keys, so a request cannot borrow another node's identity key.
 */
public final class IdentityProof {

  private static final byte[] LABEL = "fedlora enrollment identity proof v1\0".getBytes(StandardCharsets.US_ASCII);

  private IdentityProof() {}

  public static Bytes sign(Ed25519PrivateKey identity, PublicKey tlsKey) {
    return identity.sign(message(tlsKey));
  }

  public static void verify(Ed25519PublicKey identity, PublicKey tlsKey, byte[] proof) throws InvalidSignatureException {
    identity.verify(proof, message(tlsKey));
  }

  private static byte[] message(PublicKey tlsKey) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(tlsKey.getEncoded());
      byte[] m = new byte[LABEL.length + h.length];
      System.arraycopy(LABEL, 0, m, 0, LABEL.length);
      System.arraycopy(h, 0, m, LABEL.length, h.length);
      return m;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
