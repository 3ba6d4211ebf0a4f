package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ParameterValidationTest {

  private static void expect(List<String> failures, String id, String mustMention, Supplier<?> call) {
    try {
      Object result = call.get();
      failures.add(id + ": no exception, got " + result);
    } catch (InvalidPrivacyParameterException e) {
      if (!e.getMessage().contains(mustMention)) {
        failures.add(id + ": message '" + e.getMessage() + "' lacks '" + mustMention + "'");
      }
    }
  }

  @Test
  void everyBadParameterIsRejectedWithItsNameAndValue() {
    List<String> f = new ArrayList<>();
    for (String kind : new String[] {"rdp", "prv"}) {
      expect(f, kind + " sigma 0", "sigma", () -> PrivacyCli.epsilon(0.01, 0.0, 10, 1e-5, kind));
      expect(f, kind + " sigma -1", "-1.0", () -> PrivacyCli.epsilon(0.01, -1.0, 10, 1e-5, kind));
      expect(f, kind + " sigma NaN", "NaN", () -> PrivacyCli.epsilon(0.01, Double.NaN, 10, 1e-5, kind));
      expect(f, kind + " sigma inf", "sigma",
          () -> PrivacyCli.epsilon(0.01, Double.POSITIVE_INFINITY, 10, 1e-5, kind));
      expect(f, kind + " q 0", "sampling rate q", () -> PrivacyCli.epsilon(0.0, 1.0, 10, 1e-5, kind));
      expect(f, kind + " q 1.5", "1.5", () -> PrivacyCli.epsilon(1.5, 1.0, 10, 1e-5, kind));
      expect(f, kind + " q NaN", "NaN", () -> PrivacyCli.epsilon(Double.NaN, 1.0, 10, 1e-5, kind));
      expect(f, kind + " delta 0", "delta", () -> PrivacyCli.epsilon(0.01, 1.0, 10, 0.0, kind));
      expect(f, kind + " delta 1", "delta", () -> PrivacyCli.epsilon(0.01, 1.0, 10, 1.0, kind));
      expect(f, kind + " delta NaN", "NaN", () -> PrivacyCli.epsilon(0.01, 1.0, 10, Double.NaN, kind));
      expect(f, kind + " steps 0", "steps", () -> PrivacyCli.epsilon(0.01, 1.0, 0, 1e-5, kind));
      expect(f, kind + " steps -3", "-3", () -> PrivacyCli.epsilon(0.01, 1.0, -3, 1e-5, kind));
      expect(f, kind + " target 0", "target epsilon",
          () -> PrivacyCli.noiseMultiplier(0.01, 10, 1e-5, 0.0, kind));
      expect(f, kind + " target -1", "target epsilon",
          () -> PrivacyCli.noiseMultiplier(0.01, 10, 1e-5, -1.0, kind));
      expect(f, kind + " target NaN", "NaN",
          () -> PrivacyCli.noiseMultiplier(0.01, 10, 1e-5, Double.NaN, kind));
    }
    expect(f, "accountant name", "accountant", () -> PrivacyCli.epsilon(0.01, 1.0, 10, 1e-5, "gdp"));
    expect(f, "accountant null", "accountant", () -> PrivacyCli.epsilon(0.01, 1.0, 10, 1e-5, null));
    expect(f, "delta query eps", "epsilon",
        () -> RdpAccountant.create().compose(0.1, 1, 1).delta(-0.5));
    expect(f, "orders", "RDP orders", () -> RdpAccountant.withOrders(0.5, 2));
    expect(f, "pld grid", "lossInterval", () -> new PldDiscretisation(0.0, 1e-15, 1 << 20));
    expect(f, "steps record", "noise multiplier", () -> new SampledGaussianSteps(0.1, 0.0, 1));
    assertTrue(f.isEmpty(), () -> String.join("\n", f));
  }

  @Test
  void exceptionIsAnIllegalArgumentException() {
    assertThrows(IllegalArgumentException.class,
        () -> RdpAccountant.create().compose(0.01, 0.0, 10));
  }
}
