package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import java.util.Objects;

/** An encrypted share routed by the server from {@code dealer} to the bundle's recipient. */
public record RoutedShare(ClientId dealer, Bytes ciphertext) {
  public RoutedShare {
    Objects.requireNonNull(dealer, "dealer");
    if (ciphertext.size() != EncryptedShare.CIPHERTEXT_SIZE) {
      throw new IllegalArgumentException("share ciphertext must be " + EncryptedShare.CIPHERTEXT_SIZE + " bytes");
    }
  }
}
