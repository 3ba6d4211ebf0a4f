package io.fedlora.coordinator.app;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The coordinator's recent log lines per job (those logged with the {@code job} MDC field), kept in
 * memory and bounded, and streamed to whoever follows a job (dashboard, {@code fedlora admin logs}).
 * Log lines never carry secrets (house rule), so neither does this.
 */
public final class JobLog {

    /** One line as an operator reads it. */
    public record Line(long unixMs, String level, String message) {}

    public static final int LINES_PER_JOB = 2000;
    private static final int JOBS = 200;

    private final Map<String, Deque<Line>> byJob = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Line>> eldest) {
            return size() > JOBS;
        }
    };
    private final Map<String, List<Consumer<Line>>> followers = new java.util.concurrent.ConcurrentHashMap<>();

    /** Keeps {@code line} for {@code jobId} and hands it to the job's followers (which must not block). */
    public void append(String jobId, Line line) {
        synchronized (byJob) {
            Deque<Line> d = byJob.computeIfAbsent(jobId, k -> new ArrayDeque<>());
            if (d.size() >= LINES_PER_JOB) {
                d.removeFirst();
            }
            d.addLast(line);
        }
        for (Consumer<Line> f : followers.getOrDefault(jobId, List.of())) {
            try {
                f.accept(line);
            } catch (RuntimeException ignored) {
                // A follower that fails must not break logging; it is dropped when its stream closes.
            }
        }
    }

    /** The job's last {@code limit} lines, oldest first. */
    public List<Line> recent(String jobId, int limit) {
        synchronized (byJob) {
            Deque<Line> d = byJob.get(jobId);
            if (d == null) {
                return List.of();
            }
            List<Line> all = new ArrayList<>(d);
            return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
        }
    }

    /** Follows the job's new lines; close the result to stop. */
    public AutoCloseable follow(String jobId, Consumer<Line> follower) {
        followers.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(follower);
        return () -> {
            List<Consumer<Line>> l = followers.get(jobId);
            if (l != null) {
                l.remove(follower);
            }
        };
    }
}
