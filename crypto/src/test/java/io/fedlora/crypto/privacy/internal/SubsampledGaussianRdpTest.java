package io.fedlora.crypto.privacy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubsampledGaussianRdpTest {

  /** Runs every vector, collects the failures, asserts once. */
  @Test
  void logAMatchesNumericalIntegration() throws Exception {
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("/privacy/sampled_gaussian_log_a.json")) {
      root = new ObjectMapper().readTree(in);
    }
    List<String> failures = new ArrayList<>();
    int count = 0;
    for (JsonNode c : root.get("cases")) {
      count++;
      double q = c.get("q").asDouble();
      double sigma = c.get("sigma").asDouble();
      double alpha = c.get("alpha").asDouble();
      double expected = c.get("logA").asDouble();
      double actual = alpha == Math.rint(alpha)
          ? SubsampledGaussianRdp.logAInteger(q, sigma, (long) alpha)
          : SubsampledGaussianRdp.logAFractional(q, sigma, alpha);
      if (Math.abs(actual - expected) > 1e-5 * Math.abs(expected) + 1e-14) {
        failures.add(c + " -> " + actual);
      }
    }
    assertEquals(13, count);
    assertTrue(failures.isEmpty(), () -> "failing vectors: " + failures);
  }

  @Test
  void noSubsamplingIsTheGaussianMechanismExactly() {
    for (double alpha : new double[] {1.5, 2, 3.14159, 32, 256}) {
      for (double sigma : new double[] {0.5, 1.0, 2.71828}) {
        assertEquals(alpha / (2 * sigma * sigma), SubsampledGaussianRdp.rdp(1.0, sigma, alpha), 0.0);
      }
    }
  }

  @Test
  void fractionalSeriesIsContinuousWithIntegerClosedForm() {
    double q = 0.01;
    double sigma = 1.1;
    for (int a = 2; a < 40; a += 5) {
      double atInt = SubsampledGaussianRdp.rdp(q, sigma, a);
      double near = SubsampledGaussianRdp.rdp(q, sigma, a + 1e-7);
      assertEquals(atInt, near, 1e-6 * atInt + 1e-12, "alpha=" + a);
    }
  }
}
