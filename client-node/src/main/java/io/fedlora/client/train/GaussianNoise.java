package io.fedlora.client.train;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Gaussian noise for DP-SGD from a cryptographically secure stream: AES-256-CTR keystream (JCE,
 * AES-NI; a CTR-DRBG construction) keyed from {@link SecureRandom}, turned into normals with
 * Box-Muller on 53-bit uniforms in double precision, rounded to float.
 *
 * <p>Why not the engine's RNG: PyTorch's CPU generator is a Mersenne Twister, predictable from its
 * output, and global to the process (reseeding it also changes dropout masks); the noise is the
 * only thing protecting the records, so it comes from here. Known residual: floating-point
 * sampling is not exactly Gaussian (Mironov 2012-style attacks on the low bits); see the report.
 */
public final class GaussianNoise {

    private static final double TWO_PI = 2 * Math.PI;
    private static final double INV_2_53 = 1.0 / (1L << 53);

    private final Cipher cipher;

    private GaussianNoise(byte[] key, byte[] iv) {
        try {
            cipher = Cipher.getInstance("AES/CTR/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR unavailable", e);
        }
    }

    /** Production: a fresh 256-bit key and IV from {@link SecureRandom}. */
    public static GaussianNoise secure() {
        SecureRandom sr = new SecureRandom();
        byte[] key = new byte[32];
        byte[] iv = new byte[16];
        sr.nextBytes(key);
        sr.nextBytes(iv);
        return new GaussianNoise(key, iv);
    }

    /** Deterministic stream for tests and reproducible experiments only: NOT private. */
    public static GaussianNoise seededForTesting(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] key = new byte[32];
        byte[] iv = new byte[16];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) r.nextInt();
        }
        for (int i = 0; i < iv.length; i++) {
            iv[i] = (byte) r.nextInt();
        }
        return new GaussianNoise(key, iv);
    }

    /** {@code n} independent N(0, std²) samples. */
    public float[] sample(int n, double std) {
        float[] out = new float[n];
        int pairs = (n + 1) / 2;
        byte[] ks = cipher.update(new byte[pairs * 16]);
        for (int p = 0; p < pairs; p++) {
            long a = bits53(ks, p * 16);
            long b = bits53(ks, p * 16 + 8);
            double u1 = (a + 1) * INV_2_53; // (0, 1]: log is finite
            double u2 = b * INV_2_53;
            double rad = Math.sqrt(-2 * Math.log(u1)) * std;
            out[2 * p] = (float) (rad * Math.cos(TWO_PI * u2));
            if (2 * p + 1 < n) {
                out[2 * p + 1] = (float) (rad * Math.sin(TWO_PI * u2));
            }
        }
        return out;
    }

    private static long bits53(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v >>> 11;
    }
}
