package io.fedlora.crypto;

import static io.fedlora.crypto.internal.Wire.int64;
import static io.fedlora.crypto.internal.Wire.lengthPrefixed;
import static io.fedlora.crypto.internal.Wire.utf8;

import io.fedlora.crypto.internal.HkdfSha256;
import java.util.Arrays;
import java.util.Objects;

/**
 * HKDF-SHA256 key derivation bound to a job and round.
 *
 * <p>salt = LP("fedlora/v1/hkdf") ‖ LP(jobId) ‖ LP(round as int64), info = LP(purpose) ‖
 * LP(firstId) ‖ LP(secondId), where LP is a 4-byte big-endian length prefix. So a key derived
 * for one job, round, purpose or ordered pair of client ids is independent of every other. Callers
 * that need a symmetric pair key (both ends derive the same key) pass the ids in a canonical order;
 * callers that need a directional key pass (sender, receiver).
 */
public final class KeyDerivation {
  public static final int KEY_SIZE = 32;
  private final byte[] salt;
  private final String jobId;
  private final long round;

  private KeyDerivation(String jobId, long round) {
    this.jobId = jobId;
    this.round = round;
    this.salt = lengthPrefixed(utf8("fedlora/v1/hkdf"), utf8(jobId), int64(round));
  }

  public static KeyDerivation forRound(String jobId, long round) {
    Objects.requireNonNull(jobId, "jobId");
    if (jobId.isEmpty()) {
      throw new InvalidParametersException("jobId must not be empty");
    }
    if (round < 0) {
      throw new InvalidParametersException("round must be non-negative, got " + round);
    }
    return new KeyDerivation(jobId, round);
  }

  public String jobId() {
    return jobId;
  }

  public long round() {
    return round;
  }

  /** A 32-byte key for {@code purpose} and the ordered pair ({@code firstId}, {@code secondId}). */
  public SecretBytes deriveKey(SecretBytes ikm, String purpose, String firstId, String secondId) {
    byte[] info = lengthPrefixed(utf8(purpose), utf8(firstId), utf8(secondId));
    byte[] in = ikm.toByteArray();
    try {
      return SecretBytes.wrap(HkdfSha256.derive(in, salt, info, KEY_SIZE));
    } finally {
      Arrays.fill(in, (byte) 0);
    }
  }
}
