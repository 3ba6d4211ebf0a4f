package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LoraLinearTest {

    private static NDArray random(NDManager m, SplittableRandom rnd, long... shape) {
        float[] v = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return m.create(v, new Shape(shape));
    }

    @Test
    void mergedWeightGivesTheSameOutputs() {
        SplittableRandom rnd = new SplittableRandom(1);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = random(m, rnd, 12, 10);
            NDArray bias = random(m, rnd, 12);
            LoraLinear lora = new LoraLinear(FrozenWeight.dense(w), bias, random(m, rnd, 4, 10), random(m, rnd, 12, 4), 8, 0.1);
            NDArray x = random(m, rnd, 3, 5, 10);
            float[] unmerged = lora.forward(x, false).toFloatArray();
            NDArray merged = lora.merge(m);
            float[] folded = Linear.linear(x, merged, bias).head().toFloatArray();
            assertArrayEquals(unmerged, folded, 1e-5f);
            // scale = alpha / r = 2
            float[] manual = x.matMul(w.transpose()).add(bias)
                    .add(x.matMul(lora.a().transpose()).matMul(lora.b().transpose()).mul(2f)).toFloatArray();
            assertArrayEquals(manual, unmerged, 1e-5f);
        }
    }

    @Test
    void rejectsShapesThatDoNotFit() {
        SplittableRandom rnd = new SplittableRandom(1);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = random(m, rnd, 12, 10);
            assertThrows(IllegalArgumentException.class,
                    () -> new LoraLinear(FrozenWeight.dense(w), null, random(m, rnd, 4, 12), random(m, rnd, 12, 4), 8, 0));
        }
    }
}
