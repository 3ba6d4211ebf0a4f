package io.fedlora.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static List<TensorData> tensors() {
        SplittableRandom rnd = new SplittableRandom(3);
        // Larger than the writer's 1 MiB buffer, so the stream flushes mid-tensor.
        float[] big = new float[300_001];
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) rnd.nextGaussian();
        }
        return List.of(new TensorData("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f}),
                new TensorData("empty", new long[] {0, 4}, new float[0]),
                new TensorData("big", new long[] {big.length}, big),
                new TensorData("s", new long[] {}, new float[] {9}));
    }

    @Test
    void streamedFileHasExactlyTheInMemoryBytes() throws Exception {
        Path f = dir.resolve("m.safetensors");
        SafetensorsWriter.write(f, tensors(), Map.of("format", "pt"));
        assertArrayEquals(SafetensorsWriter.toBytes(tensors(), Map.of("format", "pt")), Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void valuesMayBeAppendedInPiecesThatSpanTensors() throws Exception {
        List<TensorData> t = tensors();
        float[] all = new float[6 + 300_001 + 1];
        System.arraycopy(t.get(0).values(), 0, all, 0, 6);
        System.arraycopy(t.get(2).values(), 0, all, 6, 300_001);
        all[all.length - 1] = 9;
        Path f = dir.resolve("p.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(f, t.stream().map(SafetensorsWriter.TensorSpec::of).toList(),
                Map.of("format", "pt"), SafetensorsWriter.Dtype.F32)) {
            int at = 0;
            for (int piece : new int[] {4, 5, 100_000, 200_000 - 1}) {
                w.append(all, at, piece);
                at += piece;
            }
            w.append(all, at, all.length - at);
            w.commit();
        }
        assertArrayEquals(SafetensorsWriter.toBytes(t, Map.of("format", "pt")), Files.readAllBytes(f));
    }

    @Test
    void bfloat16RoundsToNearestEvenAndReadsBack() throws Exception {
        float[] v = {1f, 1.00390625f /* tie: 1 + 2^-8, rounds to even (1.0) */, 1.01171875f /* tie, rounds up */,
            -3.14159f, 1e-40f, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.NaN};
        Path f = dir.resolve("b.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(f, List.of(new SafetensorsWriter.TensorSpec("v",
                new long[] {v.length})), Map.of(), SafetensorsWriter.Dtype.BF16)) {
            w.put(new TensorData("v", new long[] {v.length}, v));
            w.commit();
        }
        SafetensorsFile st = SafetensorsFile.open(f);
        assertEquals("BF16", st.entries().get("v").dtype());
        float[] back = st.read("v").values();
        assertEquals(1f, back[0]);
        assertEquals(1f, back[1]);
        assertEquals(1.015625f, back[2]);
        assertEquals(-3.140625f, back[3]);
        assertEquals(Float.POSITIVE_INFINITY, back[5], "MAX_VALUE rounds up to infinity, as in PyTorch");
        assertEquals(Float.NEGATIVE_INFINITY, back[6]);
        assertTrue(Float.isNaN(back[7]));
        assertEquals(2L * v.length, st.entries().get("v").end() - st.entries().get("v").begin());
    }

    @Test
    void anUncommittedWriteLeavesTheTargetAsItWas() throws Exception {
        Path f = dir.resolve("keep.safetensors");
        Files.writeString(f, "old");
        try (SafetensorsWriter w = SafetensorsWriter.open(f, List.of(new SafetensorsWriter.TensorSpec("a",
                new long[] {2})), Map.of(), SafetensorsWriter.Dtype.F32)) {
            w.append(new float[] {1}, 0, 1);
            assertThrows(IllegalStateException.class, w::commit);
        }
        assertEquals("old", Files.readString(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void outOfOrderWrongShapeOrTooManyValuesAreRefused() throws Exception {
        Path f = dir.resolve("x.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(f, List.of(
                new SafetensorsWriter.TensorSpec("a", new long[] {2}),
                new SafetensorsWriter.TensorSpec("b", new long[] {1})), Map.of(), SafetensorsWriter.Dtype.F32)) {
            assertThrows(IllegalStateException.class, () -> w.put(new TensorData("b", new long[] {1}, new float[1])));
            assertThrows(IllegalStateException.class, () -> w.put(new TensorData("a", new long[] {1, 2}, new float[2])));
            w.append(new float[] {1}, 0, 1);
            IllegalStateException partly = assertThrows(IllegalStateException.class,
                    () -> w.put(new TensorData("b", new long[] {1}, new float[1])));
            assertTrue(partly.getMessage().contains("partly written"), partly.getMessage());
            w.append(new float[] {2}, 0, 1);
            w.put(new TensorData("b", new long[] {1}, new float[] {3}));
            assertThrows(IllegalStateException.class, () -> w.append(new float[] {4}, 0, 1));
            w.commit();
        }
        assertArrayEquals(new float[] {1, 2}, SafetensorsFile.open(f).read("a").values());
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.open(dir.resolve("d.safetensors"),
                List.of(new SafetensorsWriter.TensorSpec("a", new long[] {1}),
                        new SafetensorsWriter.TensorSpec("a", new long[] {1})), Map.of(), SafetensorsWriter.Dtype.F32));
        assertFalse(Files.exists(dir.resolve("d.safetensors")));
    }
}
