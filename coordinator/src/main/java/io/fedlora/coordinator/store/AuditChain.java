package io.fedlora.coordinator.store;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The audit log's hash chain. Each entry stores the hash of the one before it and its own hash,
 * sha256(label || previous hash || canonical entry bytes), so changing, inserting or deleting a row
 * in the database breaks the chain at that row. It does not stop someone who rewrites every later
 * hash too; comparing the head hash against one recorded elsewhere does.
 */
public final class AuditChain {

    /** The "previous hash" of the first entry. */
    public static final String GENESIS = "00".repeat(32);

    private static final byte[] LABEL = "fedlora audit log v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private AuditChain() {}

    /** The hash an entry with {@code seq} and this content has when it follows {@code previousHash}. */
    public static String hash(String previousHash, long seq, AuditRecord e) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(256);
        b.writeBytes(LABEL);
        b.writeBytes(HEX.parseHex(previousHash));
        b.writeBytes(ByteBuffer.allocate(16).putLong(seq).putLong(e.atUnixMs()).array());
        for (String s : new String[] {e.actor(), e.actorRole(), e.action(), e.target(), e.outcome(), e.detail()}) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            b.writeBytes(ByteBuffer.allocate(4).putInt(u.length).array()); // length-prefixed: fields cannot shift
            b.writeBytes(u);
        }
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(b.toByteArray()));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Where the chain first breaks, and why. */
    public record Break(long seq, String reason) {}

    /** What checking the chain found: the entries checked, the last one's seq and hash, and the first break. */
    public record Verification(long entries, long headSeq, String headHash, Optional<Break> firstBreak) {
        public boolean intact() {
            return firstBreak.isEmpty();
        }
    }

    /**
     * Checks entries in order of {@code seq}, from the first: feed them with {@link #check}, then
     * {@link #result}. Stops at the first break.
     */
    public static final class Verifier {
        private long entries;
        private long lastSeq;
        private String lastHash = GENESIS;
        private Break broken;

        /** Checks the next entry; false once the chain is broken (later entries prove nothing). */
        public boolean check(AuditRecord e) {
            if (broken != null) {
                return false;
            }
            String where = entries == 0 ? "the start of the log" : "entry " + lastSeq;
            if (!isHash(e.hash()) || !isHash(e.previousHash())) {
                broken = new Break(e.seq(), "entry " + e.seq() + " has no valid hash (written outside the coordinator?)");
            } else if (!hash(e.previousHash(), e.seq(), e).equals(e.hash())) {
                broken = new Break(e.seq(), "entry " + e.seq() + " was changed after it was written (its content"
                        + " does not match its hash)");
            } else if (!e.previousHash().equals(lastHash)) {
                broken = new Break(e.seq(), "entry " + e.seq() + " does not follow " + where + ": an entry between"
                        + " them was deleted or inserted, or " + where + " was rewritten");
            } else if (e.seq() <= lastSeq) {
                broken = new Break(e.seq(), "entry " + e.seq() + " is out of order after " + where);
            } else {
                entries++;
                lastSeq = e.seq();
                lastHash = e.hash();
                return true;
            }
            return false;
        }

        public Verification result() {
            return new Verification(entries, lastSeq, lastHash, Optional.ofNullable(broken));
        }
    }

    private static boolean isHash(String h) {
        return h.length() == 64 && h.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
}
