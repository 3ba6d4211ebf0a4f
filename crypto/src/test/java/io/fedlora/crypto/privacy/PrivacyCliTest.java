package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrivacyCliTest {

  @Test
  void epsilonDispatchesToTheNamedAccountant() {
    double q = 256.0 / 60000;
    double rdp = PrivacyCli.epsilon(q, 1.1, 14063, 1e-5, "rdp");
    double prv = PrivacyCli.epsilon(q, 1.1, 14063, 1e-5, "PRV");
    assertEquals(RdpAccountant.create().compose(q, 1.1, 14063).epsilon(1e-5), rdp, 0.0);
    assertEquals(prv, PrivacyCli.epsilon(q, 1.1, 14063, 1e-5, "pld"), 0.0);
    assertTrue(prv < rdp);
  }

  @Test
  void noiseMultiplierRoundTrips() {
    double sigma = PrivacyCli.noiseMultiplier(0.01, 500, 1e-5, 1.5, "rdp");
    assertEquals(1.5, PrivacyCli.epsilon(0.01, sigma, 500, 1e-5, "rdp"), 2e-3);
  }
}
