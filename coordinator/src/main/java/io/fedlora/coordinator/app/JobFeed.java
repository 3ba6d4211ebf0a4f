package io.fedlora.coordinator.app;

import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.JobEvents;
import io.fedlora.coordinator.round.JobListener;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A job's rounds as one stream: first every round that has already ended, then each round as it
 * ends, then the end of the job (at once if it has already ended). gRPC WatchJob and the
 * dashboard's server-sent events both read it. Subscribing before reading the history means no round
 * can fall between the two; a round is never delivered twice.
 */
public final class JobFeed {

    /** Receives one feed. Calls are serialised; they may come from the round loop, so must not block. */
    public interface Sink {
        void round(RoundSummary round);

        /** The job has ended (or had, when the feed opened); nothing follows. */
        void ended(JobRecord job);

        /** The feed could not be opened or replayed; nothing follows. */
        void failed(AppError error);
    }

    private final Jobs jobs;
    private final JobEvents events;

    public JobFeed(Jobs jobs, JobEvents events) {
        this.jobs = jobs;
        this.events = events;
    }

    /**
     * Opens a feed of {@code jobId} into {@code sink}; close the result to stop it. An unknown job
     * fails the sink (NOT_FOUND) before anything else. Reads the store: call off an event loop.
     */
    public AutoCloseable open(String jobId, Sink sink) {
        try {
            jobs.get(jobId);
        } catch (RuntimeException e) {
            sink.failed(AppError.of(e));
            return () -> {};
        }
        Feed feed = new Feed(sink);
        AutoCloseable sub = events.subscribe(jobId, feed);
        AutoCloseable close = () -> {
            feed.cancel();
            sub.close();
        };
        try {
            JobRecord job = jobs.get(jobId);
            List<RoundSummary> ended = jobs.rounds(jobId).stream()
                    .filter(r -> r.getState() != RoundState.ROUND_STATE_RUNNING).toList();
            feed.replay(ended, job);
        } catch (RuntimeException e) {
            closeQuietly(sub);
            feed.fail(AppError.of(e));
        }
        return close;
    }

    /**
     * Calls {@code changed} with a job's id whenever any job is created, changes state or ends a
     * round (on the caller's thread: it must not block); close the result to stop.
     */
    public AutoCloseable followAllJobs(java.util.function.Consumer<String> changed) {
        return events.subscribeToAllJobs(changed);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Unsubscribing cannot fail in a way the caller could act on.
        }
    }

    /** Buffers live events until the replay is out, then forwards them. */
    private static final class Feed implements JobListener {
        private final Sink sink;
        private final Set<Integer> sent = new HashSet<>();
        private final List<RoundSummary> buffered = new ArrayList<>();
        private boolean replayed;
        private JobRecord endedJob;
        private boolean done;

        Feed(Sink sink) {
            this.sink = sink;
        }

        synchronized void replay(List<RoundSummary> history, JobRecord job) {
            for (RoundSummary r : history) {
                emit(r);
            }
            for (RoundSummary r : buffered) {
                emit(r);
            }
            buffered.clear();
            replayed = true;
            if (endedJob != null) {
                complete(endedJob);
            } else if (job.isTerminal()) {
                complete(job);
            }
        }

        private void emit(RoundSummary r) {
            if (!done && sent.add(r.getRound())) {
                sink.round(r);
            }
        }

        private void complete(JobRecord job) {
            if (!done) {
                done = true;
                sink.ended(job);
            }
        }

        synchronized void cancel() {
            done = true;
        }

        synchronized void fail(AppError e) {
            if (!done) {
                done = true;
                sink.failed(e);
            }
        }

        @Override
        public synchronized void onRoundEnded(RoundSummary summary) {
            if (replayed) {
                emit(summary);
            } else {
                buffered.add(summary);
            }
        }

        @Override
        public synchronized void onJobEnded(JobRecord job) {
            endedJob = job;
            if (replayed) {
                complete(job);
            }
        }
    }
}
