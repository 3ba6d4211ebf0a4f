package io.fedlora.crypto;

import java.security.SecureRandom;
import java.util.Objects;

/** An X25519 key pair. */
public record X25519KeyPair(X25519PrivateKey privateKey, X25519PublicKey publicKey) {
  public X25519KeyPair {
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(publicKey, "publicKey");
  }

  public static X25519KeyPair generate(SecureRandom random) {
    X25519PrivateKey sk = X25519PrivateKey.generate(random);
    return new X25519KeyPair(sk, sk.publicKey());
  }
}
