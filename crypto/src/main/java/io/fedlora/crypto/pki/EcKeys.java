package io.fedlora.crypto.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/** EC P-256 keys: what every fedlora TLS certificate uses (JDK TLS 1.3 and BoringSSL both support it). */
public final class EcKeys {

  private EcKeys() {}

  public static KeyPair generateP256(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JDK", e);
    }
  }

  /** Whether {@code key} is an EC key on the named curve P-256 (read from its encoded parameters). */
  public static boolean isP256(PublicKey key) {
    if (!"EC".equals(key.getAlgorithm()) || key.getEncoded() == null) {
      return false;
    }
    try {
      AlgorithmIdentifier alg = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm();
      return X9ObjectIdentifiers.id_ecPublicKey.equals(alg.getAlgorithm())
          && SECObjectIdentifiers.secp256r1.equals(alg.getParameters());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The JCA signature algorithm a CA with this key signs with. */
  static String signatureAlgorithm(PublicKey caKey) {
    return switch (caKey.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new IllegalArgumentException("unsupported CA key algorithm " + caKey.getAlgorithm());
    };
  }
}
