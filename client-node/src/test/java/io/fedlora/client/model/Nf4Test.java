package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

class Nf4Test {

    /** The NF4 table as published with QLoRA (bitsandbytes' functional.py, "nf4"), to every digit printed there. */
    private static final double[] PUBLISHED = {
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
        -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
        0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
        0.7229568362236023, 1.0,
    };

    @Test
    void codesAreThePublishedTableExactly() {
        float[] codes = Nf4.codes();
        assertEquals(16, codes.length);
        for (int i = 0; i < 16; i++) {
            assertEquals((float) PUBLISHED[i], codes[i], 0f, "code " + i);
        }
    }

    @Test
    void codesAreTheNormalQuantilesOfTheQloraConstruction() {
        // Paper, section 3: 8 positive and 7 negative quantiles of N(0, 1) between offset and 1/2,
        // an exact zero, everything divided by the largest; offset = (1 - 1/(2*15) + 1 - 1/(2*16)) / 2.
        NormalDistribution n = new NormalDistribution();
        double offset = (1 - 1 / 30.0 + 1 - 1 / 32.0) / 2;
        double[] v = new double[16];
        for (int i = 0; i < 8; i++) {
            v[8 + i] = n.inverseCumulativeProbability(offset + (0.5 - offset) * (7 - i) / 8.0);
        }
        for (int i = 0; i < 7; i++) {
            v[i] = -n.inverseCumulativeProbability(offset + (0.5 - offset) * i / 7.0);
        }
        v[7] = 0;
        double max = v[15];
        Arrays.sort(v);
        float[] codes = Nf4.codes();
        for (int i = 0; i < 16; i++) {
            assertEquals(v[i] / max, codes[i], 2e-6, "code " + i);
        }
    }

    @Test
    void eachCodeRoundsToItselfAndMidpointsSplitNeighbours() {
        float[] codes = Nf4.codes();
        for (int i = 0; i < 16; i++) {
            assertEquals(i, Nf4.nearest(codes[i]));
        }
        for (int i = 0; i < 15; i++) {
            float mid = (codes[i] + codes[i + 1]) / 2;
            assertEquals(i, Nf4.nearest(Math.nextDown(mid)));
            assertEquals(i + 1, Nf4.nearest(Math.nextUp(mid)));
        }
        assertEquals(7, Nf4.nearest(0f));
        assertEquals(0, Nf4.nearest(-1f));
        assertEquals(15, Nf4.nearest(1f));
    }

    @Test
    void aKnownBlockPacksHighNibbleFirstAndDequantisesToCodesTimesAbsmax() {
        float[] block = new float[Nf4.BLOCK];
        block[0] = 2f;      // the absmax: code 15
        block[1] = -2f;     // code 0
        block[2] = 0.5f;    // 0.25 normalised: nearest 0.2461..., code 10
        block[3] = -0.37f;  // -0.185: code 5
        Nf4.Tensor t = Nf4.quantize(block, new long[] {8, 8});
        assertEquals(32, t.packed().length);
        assertEquals((byte) 0xF0, t.packed()[0]);
        assertEquals((byte) 0xA5, t.packed()[1]);
        assertEquals((byte) 0x77, t.packed()[2]); // zeros are code 7
        float[] back = t.dequantize();
        float[] codes = Nf4.codes();
        float absmax = t.absmax()[0];
        assertEquals(2f, absmax, 2f / 254);
        assertEquals(codes[10] * absmax, back[2], 0f);
        assertEquals(codes[5] * absmax, back[3], 0f);
        assertEquals(0f, back[63], 0f);
    }

    @Test
    void roundTripErrorIsWithinHalfTheWidestCodeGapOfEachBlocksAbsmax() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] w = new float[64 * 300 + 17]; // several scale groups and a padded last block
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * (0.01 + (i / 64) % 7 * 0.01));
        }
        Nf4.Tensor t = Nf4.quantize(w, new long[] {w.length});
        float[] back = t.dequantize();
        float[] codes = Nf4.codes();
        float widest = 0;
        for (int i = 0; i < 15; i++) {
            widest = Math.max(widest, codes[i + 1] - codes[i]);
        }
        float[] absmax = t.absmax();
        double sq = 0;
        double sqErr = 0;
        for (int i = 0; i < w.length; i++) {
            int b = i / Nf4.BLOCK;
            float trueMax = 0;
            for (int j = b * 64; j < Math.min(w.length, b * 64 + 64); j++) {
                trueMax = Math.max(trueMax, Math.abs(w[j]));
            }
            assertEquals(trueMax, absmax[b], t.groupScales()[b / Nf4.SCALE_GROUP] / 254 + 1e-7f, "block " + b);
            assertTrue(Math.abs(w[i] - back[i]) <= widest / 2 * trueMax + Math.abs(trueMax - absmax[b]) + 1e-7f,
                    "value " + i);
            sq += (double) w[i] * w[i];
            sqErr += (double) (w[i] - back[i]) * (w[i] - back[i]);
        }
        // Gaussian weights: NF4's relative RMS error is about 0.1 (information-theoretically near optimal for 4 bits).
        assertTrue(Math.sqrt(sqErr / sq) < 0.12, "relative RMS error " + Math.sqrt(sqErr / sq));
    }

    @Test
    void streamingInPiecesEqualsQuantisingAtOnce() {
        SplittableRandom rnd = new SplittableRandom(9);
        float[] w = new float[1000];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        Nf4.Tensor whole = Nf4.quantize(w, new long[] {10, 100});
        Nf4.Quantizer q = new Nf4.Quantizer(new long[] {10, 100});
        for (int from = 0; from < w.length; from += 37) {
            q.accept(w, from, Math.min(37, w.length - from));
        }
        Nf4.Tensor pieces = q.finish();
        assertArrayEquals(whole.packed(), pieces.packed());
        assertArrayEquals(whole.scales(), pieces.scales());
        assertArrayEquals(whole.groupScales(), pieces.groupScales(), 0f);
    }

    @Test
    void costsAboutFourPointOneThreeBitsAValue() {
        Nf4.Tensor t = Nf4.quantize(new float[64 * 1024], new long[] {256, 256});
        assertEquals(4.13, 8.0 * t.bytes() / (64 * 1024), 0.01);
    }

    @Test
    void tooManyOrTooFewValuesAreRefused() {
        Nf4.Quantizer q = new Nf4.Quantizer(new long[] {2, 3});
        assertThrows(IllegalArgumentException.class, () -> q.accept(new float[7], 0, 7));
        q.accept(new float[5], 0, 5);
        assertThrows(IllegalStateException.class, q::finish);
    }

    @Test
    void unknownQuantizationNamesWhatIsSupported() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BaseQuantization.parse("int3"));
        assertTrue(e.getMessage().contains("int3") && e.getMessage().contains("none, nf4"), e.getMessage());
        assertEquals(BaseQuantization.NF4, BaseQuantization.parse("NF4"));
    }
}
