package io.fedlora.crypto;

import java.security.SecureRandom;

/** An Ed25519 identity key pair. */
public record Ed25519KeyPair(Ed25519PrivateKey privateKey, Ed25519PublicKey publicKey) {
  public Ed25519KeyPair {
    if (!privateKey.publicKey().equals(publicKey)) {
      throw new IllegalArgumentException("public key does not match the private key");
    }
  }

  public static Ed25519KeyPair generate(SecureRandom random) {
    Ed25519PrivateKey sk = Ed25519PrivateKey.generate(random);
    return new Ed25519KeyPair(sk, sk.publicKey());
  }
}
