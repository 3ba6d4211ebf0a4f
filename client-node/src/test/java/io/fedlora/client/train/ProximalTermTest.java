package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** FedProx's term μ/2·‖w − w_global‖² and its gradient μ·(w − w_global). */
class ProximalTermTest {

    @Test
    void gradientAndValueOnFixedVectors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, 2f, 3f});
            NDArray u = m.create(new float[] {-1f, 0.5f}, new Shape(2, 1));
            ProximalTerm prox = new ProximalTerm(0.1, List.of(w, u), m);
            // The round moves the weights: w → (1.5, 2, 2), u → (-1, 1.5).
            w.addi(m.create(new float[] {0.5f, 0f, -1f}));
            u.addi(m.create(new float[] {0f, 1f}, new Shape(2, 1)));
            NDArray[] g = {m.create(new float[] {1f, 1f, 1f}), m.zeros(new Shape(2, 1))};
            try (NDManager scratch = m.newSubManager()) {
                prox.addGradient(g, scratch);
                // 0.1·(0.5, 0, -1) added to the data gradient 1; 0.1·(0, 1) to 0.
                assertArrayEquals(new float[] {1.05f, 1f, 0.9f}, g[0].toFloatArray(), 1e-6f);
                assertArrayEquals(new float[] {0f, 0.1f}, g[1].toFloatArray(), 1e-6f);
                // 0.1/2·(0.25 + 0 + 1 + 0 + 1) = 0.1125
                assertEquals(0.1125, prox.value(scratch), 1e-6);
            }
        }
    }

    @Test
    void gradientIsAutogradsOfTheTerm() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.randomNormal(new Shape(4, 3));
            ProximalTerm prox = new ProximalTerm(0.37, List.of(w), m);
            NDArray anchor = w.duplicate();
            w.addi(m.randomNormal(new Shape(4, 3)));
            w.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray d = w.sub(anchor);
                gc.backward(d.square().sum().mul(0.37f / 2));
            }
            JniUtils.setGradMode(false);
            float[] autograd = w.getGradient().toFloatArray();
            NDArray[] g = {m.zeros(new Shape(4, 3))};
            try (NDManager scratch = m.newSubManager()) {
                prox.addGradient(g, scratch);
            }
            assertArrayEquals(autograd, g[0].toFloatArray(), 1e-5f);
        }
    }

    @Test
    void badMuAndLateAnchorAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f});
            assertThrows(IllegalArgumentException.class, () -> new ProximalTerm(-1, List.of(w), m));
            assertThrows(IllegalArgumentException.class, () -> new ProximalTerm(Double.NaN, List.of(w), m));
            try (AdamW opt = AdamW.standard(List.of(w), m, 0, 0)) {
                opt.step(0.1, new NDArray[] {m.create(new float[] {1f})});
                assertThrows(IllegalStateException.class, () -> opt.withProximal(0.1));
            }
        }
    }
}
