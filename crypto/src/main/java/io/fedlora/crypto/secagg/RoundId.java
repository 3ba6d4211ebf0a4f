package io.fedlora.crypto.secagg;

import java.util.Objects;

/** A round of a job: every SecAgg message and derived key is bound to it. */
public record RoundId(String jobId, long round) {
  public RoundId {
    Objects.requireNonNull(jobId, "jobId");
    if (jobId.isEmpty() || jobId.length() > 256) {
      throw new IllegalArgumentException("jobId must be 1-256 chars");
    }
    if (round < 0) {
      throw new IllegalArgumentException("round must be non-negative");
    }
  }

  @Override
  public String toString() {
    return jobId + "#" + round;
  }
}
