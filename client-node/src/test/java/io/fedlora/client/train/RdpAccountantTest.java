package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RdpAccountantTest {

    @Test
    void fullBatchIsTheGaussianMechanism() {
        // q = 1: RDP of the Gaussian mechanism, alpha / (2 sigma^2), exactly; the binomial sum agrees near q = 1.
        assertEquals(2 / (2 * 1.5 * 1.5), RdpAccountant.rdp(1.0, 1.5, 2), 1e-12);
        assertEquals(RdpAccountant.rdp(1.0, 1.5, 8), RdpAccountant.rdp(1 - 1e-12, 1.5, 8), 1e-6);
    }

    @Test
    void mnistReferenceSetting() {
        // The TF Privacy MNIST tutorial setting (N 60000, batch 256, sigma 1.1, 60 epochs, delta 1e-5): published
        // epsilon about 2.6-3.0 depending on orders and conversion; 2.59698 from an independent Python
        // implementation of the same integer-order bound.
        long steps = 60L * 60000 / 256;
        double eps = RdpAccountant.epsilon(256.0 / 60000, 1.1, steps, 1e-5);
        assertEquals(2.596981, eps, 1e-4);
    }

    @Test
    void epsilonGrowsWithStepsAndSamplingAndShrinksWithNoise() {
        double base = RdpAccountant.epsilon(0.01, 1.0, 1000, 1e-5);
        assertEquals(2.107753, base, 1e-4);
        assertTrue(RdpAccountant.epsilon(0.01, 1.0, 2000, 1e-5) > base);
        assertTrue(RdpAccountant.epsilon(0.02, 1.0, 1000, 1e-5) > base);
        assertTrue(RdpAccountant.epsilon(0.01, 2.0, 1000, 1e-5) < base);
        assertEquals(0, RdpAccountant.epsilon(0.01, 1.0, 0, 1e-5));
        assertEquals(base, RdpAccountant.epsilon(new DpSgdConfig(1.0, 1.0, 0.01, 8), 1000, 1e-5), 1e-12);
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> RdpAccountant.epsilon(0.01, 1.0, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> RdpAccountant.epsilon(0, 1.0, 10, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> RdpAccountant.rdp(0.1, 0, 2));
    }
}
