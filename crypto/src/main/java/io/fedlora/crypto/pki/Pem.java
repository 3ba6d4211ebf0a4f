package io.fedlora.crypto.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.io.pem.PemGenerationException;

/**
 * PEM text for certificates and private keys. Keys are PKCS#8; with a password, PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC (what {@code openssl pkcs8 -topk8 -v2 aes-256-cbc} writes).
 * Traditional {@code EC PRIVATE KEY} / {@code RSA PRIVATE KEY} files are read too (operator CAs).
 */
public final class Pem {

  /** PBKDF2 iterations for a password-protected key: OWASP's 2023 figure for HMAC-SHA256. */
  static final int PBKDF2_ITERATIONS = 600_000;

  // An instance, not a registered provider: nothing else in the JVM changes because of it.
  private static final BouncyCastleProvider BC = new BouncyCastleProvider();

  private Pem() {}

  public static String certificate(X509Certificate cert) {
    return write(cert);
  }

  public static X509Certificate parseCertificate(String pem) throws InvalidCertificateException {
    Object o = read(pem, "certificate");
    if (!(o instanceof X509CertificateHolder h)) {
      throw new InvalidCertificateException("expected a PEM certificate");
    }
    try {
      return fromDer(h.getEncoded());
    } catch (IOException e) {
      throw new InvalidCertificateException("unreadable certificate", e);
    }
  }

  public static X509Certificate fromDer(byte[] der) throws InvalidCertificateException {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | RuntimeException e) {
      throw new InvalidCertificateException("not a DER X.509 certificate", e);
    }
  }

  /** The key as PKCS#8 PEM, encrypted under {@code password} when one is given. */
  public static String privateKey(PrivateKey key, Optional<char[]> password, SecureRandom random) {
    try {
      if (password.isEmpty()) {
        return write(new JcaPKCS8Generator(key, null));
      }
      var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
          .setPRF(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256, DERNull.INSTANCE))
          .setIterationCount(PBKDF2_ITERATIONS)
          .setPassword(password.get())
          .setRandom(random)
          .setProvider(BC)
          .build();
      return write(new JcaPKCS8Generator(key, encryptor));
    } catch (OperatorCreationException | PemGenerationException e) {
      throw new IllegalStateException("cannot encode a private key", e);
    }
  }

  /** Reads a private key; {@code password} is needed when the PEM is encrypted. */
  public static PrivateKey parsePrivateKey(String pem, Optional<char[]> password) throws InvalidCertificateException {
    Object o = read(pem, "private key");
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (o instanceof PKCS8EncryptedPrivateKeyInfo enc) {
        char[] pw = password.orElseThrow(() -> new InvalidCertificateException(
            "the private key is encrypted and no password was given"));
        return converter.getPrivateKey(enc.decryptPrivateKeyInfo(
            new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(pw)));
      }
      if (o instanceof PEMEncryptedKeyPair enc) {
        char[] pw = password.orElseThrow(() -> new InvalidCertificateException(
            "the private key is encrypted and no password was given"));
        return converter.getKeyPair(enc.decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(BC).build(pw)))
            .getPrivate();
      }
    } catch (PKCSException | PEMException | OperatorCreationException | RuntimeException e) {
      // Never echo key material; a wrong password is the usual cause.
      throw new InvalidCertificateException("cannot read the private key (wrong password?)", e);
    } catch (IOException e) {
      throw new InvalidCertificateException("cannot read the private key (wrong password?)", e);
    }
    throw new InvalidCertificateException("expected a PEM private key");
  }

  private static Object read(String pem, String what) throws InvalidCertificateException {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      if (o == null) {
        throw new InvalidCertificateException("no PEM " + what + " found");
      }
      return o;
    } catch (IOException | RuntimeException e) {
      throw new InvalidCertificateException("malformed PEM " + what, e);
    }
  }

  private static String write(Object o) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(o instanceof JcaPKCS8Generator g ? g.generate() : o);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write PEM", e);
    }
    return s.toString();
  }
}
