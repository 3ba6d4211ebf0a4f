package io.fedlora.deploy.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM's heap from its {@code -Xlog:gc} file: every collection logs {@code BEFORE->AFTER(COMMITTED)}.
 * The heap is fullest just before a collection, so the largest BEFORE is its peak between collections
 * (the caller adds the heap in use at the end, which no collection has seen); the largest AFTER is the
 * most that stayed live. Read from a mark (the number of lines already there) so that a phase's figures
 * are its own.
 */
final class GcLogHeap {

    private static final Pattern PAUSE = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    /** Peaks in MiB over the collections logged after the mark; zero when there were none. */
    record Peaks(int collections, double usedMb, double liveMb, double committedMb) {}

    private final Path file;

    GcLogHeap(Path file) {
        this.file = file;
    }

    /** Lines in the log now: pass it to {@link #peaksSince}. */
    int mark() throws IOException {
        return lines().size();
    }

    Peaks peaksSince(int mark) throws IOException {
        List<String> lines = lines();
        int n = 0;
        double used = 0;
        double live = 0;
        double committed = 0;
        for (String line : lines.subList(Math.min(mark, lines.size()), lines.size())) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                n++;
                used = Math.max(used, mb(m.group(1), m.group(2)));
                live = Math.max(live, mb(m.group(3), m.group(4)));
                committed = Math.max(committed, mb(m.group(5), m.group(6)));
            }
        }
        return new Peaks(n, used, live, committed);
    }

    private List<String> lines() throws IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    private static double mb(String value, String unit) {
        double v = Long.parseLong(value);
        return switch (unit) {
            case "K" -> v / 1024;
            case "G" -> v * 1024;
            default -> v;
        };
    }
}
