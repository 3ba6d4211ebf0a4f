package io.fedlora.deploy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds secrets in logs and files: each secret is cut into 16-character windows of each form it
 * could be written in (raw bytes, hex in either case, standard and URL-safe base64 at each of the
 * three byte alignments, and for float vectors their decimal text), and every 16-character window of
 * every haystack is looked up. Any leak of about 32 consecutive characters of a form contains a whole
 * window. Windows with few distinct characters (runs of zeros) are left out: they would match anything.
 */
final class SecretScanner {

    static final int WINDOW = 16;
    private static final int MIN_DISTINCT = 7;

    /** A secret found in a haystack: which secret, in which form, where. */
    record Finding(String secret, String form, String haystack, int offset, String context) {
        @Override
        public String toString() {
            return secret + " (" + form + ") in " + haystack + " at offset " + offset + ": " + context;
        }
    }

    /** Up to 100 printable characters before the hit (the line it is on), the hit itself masked. */
    private static String context(String h, int at) {
        int from = Math.max(0, at - 100);
        int nl = h.lastIndexOf('\n', at);
        from = Math.max(from, nl + 1);
        String before = h.substring(from, at).replaceAll("[^\\x20-\\x7e]", ".");
        return before + "<secret>";
    }

    private final Map<String, String> windows = new HashMap<>();
    private int secrets;

    /** A short secret (key, seed, share, token): windows every 8 characters, so partial leaks show too. */
    void addSecret(String name, byte[] secret) {
        secrets++;
        for (var form : forms(secret).entrySet()) {
            addWindows(name, form.getKey(), form.getValue(), WINDOW / 2);
        }
    }

    /** A long vector (an update): non-overlapping windows are enough, the haystack slides by one. */
    void addVector(String name, byte[] littleEndian, float[] decimal) {
        secrets++;
        for (var form : forms(littleEndian).entrySet()) {
            addWindows(name, form.getKey(), form.getValue(), WINDOW);
        }
        if (decimal != null) {
            List<String> values = new ArrayList<>();
            for (float f : decimal) {
                values.add(Float.toString(f));
            }
            addWindows(name, "decimal", String.join(", ", values), WINDOW);
        }
    }

    static byte[] littleEndian(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static byte[] littleEndian(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(v);
        return b.array();
    }

    int secrets() {
        return secrets;
    }

    int windows() {
        return windows.size();
    }

    /** The first finding of each secret in {@code haystack} (bytes read as ISO-8859-1, so text and binary alike). */
    List<Finding> scan(String haystackName, byte[] haystack) {
        String h = new String(haystack, StandardCharsets.ISO_8859_1);
        Map<String, Finding> first = new LinkedHashMap<>();
        for (int i = 0; i + WINDOW <= h.length(); i++) {
            String hit = windows.get(h.substring(i, i + WINDOW));
            if (hit != null) {
                int bar = hit.indexOf('|');
                if (!first.containsKey(hit)) {
                    first.put(hit, new Finding(hit.substring(bar + 1), hit.substring(0, bar), haystackName, i,
                            context(h, i)));
                }
            }
        }
        return List.copyOf(first.values());
    }

    private void addWindows(String name, String form, String text, int stride) {
        for (int i = 0; i + WINDOW <= text.length(); i += stride) {
            String w = text.substring(i, i + WINDOW);
            if (w.chars().distinct().count() >= MIN_DISTINCT) {
                windows.putIfAbsent(w, form + "|" + name);
            }
        }
    }

    /** Every way the bytes might be written down, each as ISO-8859-1 text. */
    private static Map<String, String> forms(byte[] b) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("raw", new String(b, StandardCharsets.ISO_8859_1));
        String hex = HexFormat.of().formatHex(b);
        f.put("hex", hex);
        f.put("HEX", hex.toUpperCase(java.util.Locale.ROOT));
        for (int align = 0; align < 3; align++) {
            f.put("base64/" + align, base64Core(b, align, Base64.getEncoder()));
            f.put("base64url/" + align, base64Core(b, align, Base64.getUrlEncoder()));
        }
        return f;
    }

    /**
     * The characters of base64(x || b) that depend on {@code b} alone, where x is {@code align}
     * bytes of whatever came before: what any base64 text containing these bytes at that alignment
     * must contain.
     */
    private static String base64Core(byte[] b, int align, Base64.Encoder enc) {
        byte[] padded = new byte[align + b.length];
        System.arraycopy(b, 0, padded, align, b.length);
        String s = enc.withoutPadding().encodeToString(padded);
        int from = (8 * align + 5) / 6;             // first character whose 6 bits all lie in b
        int to = (8 * (align + b.length)) / 6;      // characters before this one lie wholly in x || b
        return from < to ? s.substring(from, to) : "";
    }
}
