package io.fedlora.deploy.bench;

import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.SecretBytes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of the SecAgg+ mask PRG against its baseline, the raw JCE AES-256-CTR keystream
 * into a byte buffer of the same size, measured in the same run: {@code fedlora bench jmh}.
 * Masking = a client adding its self mask and k pairwise masks; unmasking = the server removing
 * one mask (per survivor's self mask, per dropped pair).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class MaskingBenchmarks {

    @Param({"1000000"})
    public int params;

    @Param({"8"})
    public int neighbours;

    private SecretBytes seed;
    private List<MaskPrg.MaskTerm> terms;
    private int[] vector;
    private byte[] keystream;
    private byte[] zeros;
    private Cipher ctr;

    @Setup
    public void setUp() throws Exception {
        SecureRandom rnd = new SecureRandom();
        seed = SecretBytes.random(MaskPrg.SEED_SIZE, rnd);
        terms = new ArrayList<>();
        terms.add(MaskPrg.MaskTerm.plus(seed));
        for (int i = 0; i < neighbours; i++) {
            SecretBytes s = SecretBytes.random(MaskPrg.SEED_SIZE, rnd);
            terms.add(i % 2 == 0 ? MaskPrg.MaskTerm.plus(s) : MaskPrg.MaskTerm.minus(s));
        }
        vector = new int[params];
        keystream = new byte[4 * params];
        zeros = new byte[4 * params];
        ctr = Cipher.getInstance("AES/CTR/NoPadding");
        ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed.toByteArray(), "AES"), new IvParameterSpec(new byte[16]));
    }

    /**
     * Baseline: raw AES-256-CTR keystream for one mask (4·P bytes), in 16 KiB updates (one
     * multi-megabyte update runs far slower on JDK 17: the intrinsic works best on cache-sized calls).
     */
    @Benchmark
    public byte[] baselineAesCtrKeystream() throws Exception {
        for (int off = 0; off < zeros.length; off += 16384) {
            int n = Math.min(16384, zeros.length - off);
            ctr.update(zeros, off, n, keystream, off);
        }
        return keystream;
    }

    /** One mask expanded to P words. */
    @Benchmark
    public int[] prgExpandOneMask() {
        return MaskPrg.expand(seed, params);
    }

    /** A client's masking: self mask plus k pairwise masks added into its vector. */
    @Benchmark
    public int[] maskClientVector() {
        MaskPrg.accumulate(terms, vector);
        return vector;
    }

    /** The server's unmasking work per removed mask (a survivor's self mask or a dropped pair's mask). */
    @Benchmark
    public int[] unmaskOneMask() {
        MaskPrg.accumulate(List.of(MaskPrg.MaskTerm.minus(seed)), vector);
        return vector;
    }
}
