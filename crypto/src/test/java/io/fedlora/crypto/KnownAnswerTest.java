package io.fedlora.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.crypto.internal.AesGcmCipher;
import io.fedlora.crypto.internal.HkdfSha256;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.SICBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.junit.jupiter.api.Test;

/** RFC and Wycheproof vectors run as data: every failing case id is collected, asserted once. */
class KnownAnswerTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static byte[] hex(String s) {
    return HEX.parseHex(s);
  }

  private static JsonNode load(String name) throws Exception {
    try (InputStream in = KnownAnswerTest.class.getResourceAsStream("/wycheproof/" + name)) {
      return JSON.readTree(in);
    }
  }

  private static List<JsonNode> cases(JsonNode root) {
    List<JsonNode> out = new ArrayList<>();
    root.get("testGroups").forEach(g -> g.get("tests").forEach(out::add));
    return out;
  }

  @Test
  void x25519Rfc7748() throws Exception {
    List<String> failures = new ArrayList<>();
    // RFC 7748 §5.2, first vector: scalar, u-coordinate, output.
    String[][] v = {{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"}};
    for (String[] c : v) {
      byte[] out = X25519PrivateKey.fromSecret(SecretBytes.copyOf(hex(c[0])))
          .agree(X25519PublicKey.fromBytes(hex(c[1]))).toByteArray();
      if (!HEX.formatHex(out).equals(c[2])) {
        failures.add("rfc7748-5.2");
      }
    }
    // RFC 7748 §6.1 Diffie-Hellman.
    X25519PrivateKey alice = X25519PrivateKey.fromSecret(SecretBytes.copyOf(
        hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")));
    X25519PrivateKey bob = X25519PrivateKey.fromSecret(SecretBytes.copyOf(
        hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")));
    if (!HEX.formatHex(alice.publicKey().toBytes())
        .equals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")) {
      failures.add("rfc7748-6.1-alice-public");
    }
    if (!HEX.formatHex(bob.publicKey().toBytes())
        .equals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")) {
      failures.add("rfc7748-6.1-bob-public");
    }
    String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    if (!HEX.formatHex(alice.agree(bob.publicKey()).toByteArray()).equals(shared)
        || !HEX.formatHex(bob.agree(alice.publicKey()).toByteArray()).equals(shared)) {
      failures.add("rfc7748-6.1-shared");
    }
    // A low-order point (u = 0) must be refused, not silently give zeros.
    try {
      alice.agree(X25519PublicKey.fromBytes(new byte[32]));
      failures.add("low-order-accepted");
    } catch (KeyAgreementException expected) {
      // ok
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void x25519Wycheproof() throws Exception {
    List<String> failures = new ArrayList<>();
    List<JsonNode> cases = cases(load("x25519_test.json"));
    for (JsonNode c : cases) {
      String id = "tc" + c.get("tcId").asInt();
      String result = c.get("result").asText();
      try {
        byte[] out = X25519PrivateKey.fromSecret(SecretBytes.copyOf(hex(c.get("private").asText())))
            .agree(X25519PublicKey.fromBytes(hex(c.get("public").asText()))).toByteArray();
        if (result.equals("invalid") || !HEX.formatHex(out).equals(c.get("shared").asText())) {
          failures.add(id);
        }
      } catch (KeyAgreementException e) {
        if (result.equals("valid")) {
          failures.add(id + " (rejected)");
        }
      }
    }
    assertEquals(List.of(), failures);
    assertTrue(cases.size() >= 5);
  }

  @Test
  void ed25519Rfc8032AndWycheproof() throws Exception {
    List<String> failures = new ArrayList<>();
    // RFC 8032 §7.1 TEST 1 (empty message) and TEST 2 (one byte).
    String[][] rfc = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"}};
    for (int i = 0; i < rfc.length; i++) {
      Ed25519PrivateKey sk = Ed25519PrivateKey.fromSeed(SecretBytes.copyOf(hex(rfc[i][0])));
      if (!HEX.formatHex(sk.publicKey().toBytes()).equals(rfc[i][1])) {
        failures.add("rfc8032-test" + (i + 1) + "-public");
      }
      Bytes sig = sk.sign(hex(rfc[i][2]));
      if (!sig.toHex().equals(rfc[i][3])) {
        failures.add("rfc8032-test" + (i + 1) + "-signature");
      }
    }
    JsonNode root = load("ed25519_test.json");
    for (JsonNode g : root.get("testGroups")) {
      Ed25519PublicKey pk = Ed25519PublicKey.fromBytes(hex(g.get("publicKey").get("pk").asText()));
      for (JsonNode c : g.get("tests")) {
        boolean valid = c.get("result").asText().equals("valid");
        boolean ok;
        try {
          pk.verify(hex(c.get("sig").asText()), hex(c.get("msg").asText()));
          ok = true;
        } catch (InvalidSignatureException e) {
          ok = false;
        }
        if (ok != valid) {
          failures.add("wycheproof-tc" + c.get("tcId").asInt());
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void hkdfSha256Rfc5869AndWycheproof() throws Exception {
    List<String> failures = new ArrayList<>();
    for (JsonNode c : cases(load("hkdf_sha256_test.json"))) {
      byte[] okm = HkdfSha256.derive(hex(c.get("ikm").asText()), hex(c.get("salt").asText()),
          hex(c.get("info").asText()), c.get("size").asInt());
      if (!HEX.formatHex(okm).equals(c.get("okm").asText())) {
        failures.add("tc" + c.get("tcId").asInt());
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void aesGcmWycheproof() throws Exception {
    List<String> failures = new ArrayList<>();
    for (JsonNode c : cases(load("aes_gcm_test.json"))) {
      String id = "tc" + c.get("tcId").asInt();
      byte[] key = hex(c.get("key").asText());
      byte[] iv = hex(c.get("iv").asText());
      byte[] aad = hex(c.get("aad").asText());
      byte[] msg = hex(c.get("msg").asText());
      byte[] expected = concat(hex(c.get("ct").asText()), hex(c.get("tag").asText()));
      try {
        if (!Arrays.equals(AesGcmCipher.seal(key, iv, aad, msg), expected)) {
          failures.add(id + " seal");
        }
        if (!Arrays.equals(AesGcmCipher.open(key, iv, aad, expected), msg)) {
          failures.add(id + " open");
        }
        if (key.length == 32) { // our public AEAD: nonce ‖ ct ‖ tag
          Aead aead = AesGcmAead.create(SecretBytes.copyOf(key), new SecureRandom());
          if (!Arrays.equals(aead.decrypt(concat(iv, expected), aad), msg)) {
            failures.add(id + " aead");
          }
          for (int bit = 0; bit < expected.length * 8; bit += 7) {
            byte[] bad = concat(iv, expected);
            bad[12 + bit / 8] ^= (byte) (1 << (bit % 8));
            try {
              aead.decrypt(bad, aad);
              failures.add(id + " accepted flipped bit " + bit);
            } catch (DecryptionException expectedFailure) {
              // ok
            }
          }
        }
      } catch (GeneralSecurityException e) {
        failures.add(id + " " + e.getClass().getSimpleName());
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void maskPrgMatchesIndependentAesCtrAndIsFrozen() {
    byte[] seed = new byte[32];
    for (int i = 0; i < 32; i++) {
      seed[i] = (byte) i;
    }
    int words = 70_000; // crosses several internal chunks, odd tail
    int[] ours = MaskPrg.expand(SecretBytes.copyOf(seed), words);
    SICBlockCipher bc = new SICBlockCipher(AESEngine.newInstance());
    bc.init(true, new ParametersWithIV(new KeyParameter(seed), new byte[16]));
    byte[] ks = new byte[words * 4];
    bc.processBytes(new byte[ks.length], 0, ks.length, ks, 0);
    List<Integer> mismatches = new ArrayList<>();
    for (int i = 0; i < words; i++) {
      int w = (ks[4 * i] & 0xff) | (ks[4 * i + 1] & 0xff) << 8 | (ks[4 * i + 2] & 0xff) << 16
          | (ks[4 * i + 3] & 0xff) << 24;
      if (w != ours[i] && mismatches.size() < 10) {
        mismatches.add(i);
      }
    }
    assertEquals(List.of(), mismatches);
    // Frozen: PRG(00 01 … 1f), first 8 words. Changing the PRG breaks every deployed round.
    int[] frozen = {0xb60090f2, 0xd09f492a, 0x6a9af3a9, 0x80772edd, 0xae765df0, 0xe59fb94a,
        0x319bf6a6, 0x3d36c248};
    assertEquals(HEX.formatHex(toBytes(frozen)), HEX.formatHex(toBytes(Arrays.copyOf(ours, 8))));
  }

  @Test
  void maskPrgAccumulateIsSumOfExpansions() {
    SecureRandom r = new SecureRandom();
    for (int len : new int[] {1, 4095, 4096, 4097, 20_000}) {
      SecretBytes a = SecretBytes.random(32, r);
      SecretBytes b = SecretBytes.random(32, r);
      int[] target = new int[len];
      MaskPrg.accumulate(List.of(MaskPrg.MaskTerm.plus(a), MaskPrg.MaskTerm.minus(b)), target);
      int[] ea = MaskPrg.expand(a, len);
      int[] eb = MaskPrg.expand(b, len);
      for (int i = 0; i < len; i++) {
        assertEquals(ea[i] - eb[i], target[i]);
      }
    }
  }

  @Test
  void secretBytesRedactsAndComparesByValue() {
    SecretBytes s = SecretBytes.copyOf(new byte[] {1, 2, 3});
    assertEquals("SecretBytes[3 bytes, redacted]", s.toString());
    assertEquals(s, SecretBytes.copyOf(new byte[] {1, 2, 3}));
    assertTrue(!s.equals(SecretBytes.copyOf(new byte[] {1, 2, 4})));
  }

  private static byte[] toBytes(int[] w) {
    byte[] b = new byte[w.length * 4];
    for (int i = 0; i < w.length; i++) {
      b[4 * i] = (byte) w[i];
      b[4 * i + 1] = (byte) (w[i] >>> 8);
      b[4 * i + 2] = (byte) (w[i] >>> 16);
      b[4 * i + 3] = (byte) (w[i] >>> 24);
    }
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
