package io.fedlora.coordinator.round;

import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.proto.v1.RoundSummary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans out round and job events to subscribers (WatchJob streams, the dashboard, tests), and the
 * finer round events (start, stage closes) to one {@link RoundObserver} (metrics, traces).
 */
public final class JobEvents {

    private static final Logger log = LoggerFactory.getLogger(JobEvents.class);

    private final Map<String, List<JobListener>> byJob = new ConcurrentHashMap<>();
    private final List<java.util.function.Consumer<String>> anyJob = new CopyOnWriteArrayList<>();
    private final RoundObserver observer;

    public JobEvents() {
        this(RoundObserver.NONE);
    }

    public JobEvents(RoundObserver observer) {
        this.observer = java.util.Objects.requireNonNull(observer, "observer");
    }

    /** Returns the round's traceparent for its task ("" when not traced). */
    String roundStarted(String jobId, int round, int cohortSize, boolean secure) {
        try {
            String t = observer.roundStarted(jobId, round, cohortSize, secure);
            return t == null ? "" : t;
        } catch (RuntimeException e) {
            log.warn("the round observer failed on the start of job {} round {}", jobId, round, e);
            return "";
        }
    }

    void stageClosed(String jobId, int round, String stage, java.time.Duration took, int dropped) {
        try {
            observer.stageClosed(jobId, round, stage, took, dropped);
        } catch (RuntimeException e) {
            log.warn("the round observer failed on stage {} of job {} round {}", stage, jobId, round, e);
        }
    }

    /** A round ended without its subscribers being told (the coordinator is shutting down): the observer only. */
    void roundInterrupted(RoundSummary s) {
        observeEnd(s);
    }

    private void observeEnd(RoundSummary s) {
        try {
            observer.roundEnded(s);
        } catch (RuntimeException e) {
            log.warn("the round observer failed on the end of job {} round {}", s.getJobId(), s.getRound(), e);
        }
    }

    /**
     * Subscribes to changes of every job: called with the job's id when it is created, changes state
     * or ends a round. The listener reads the job itself, off the caller's thread (it must not block).
     */
    public AutoCloseable subscribeToAllJobs(java.util.function.Consumer<String> listener) {
        anyJob.add(listener);
        return () -> anyJob.remove(listener);
    }

    /** A job was created or changed state (start, pause, resume, cancel). */
    public void jobChanged(String jobId) {
        for (var l : anyJob) {
            try {
                l.accept(jobId);
            } catch (RuntimeException e) {
                log.warn("an all-jobs listener failed on job {}; unsubscribing it", jobId, e);
                anyJob.remove(l);
            }
        }
    }

    /** Subscribes to one job's events; close the result to unsubscribe. */
    public AutoCloseable subscribe(String jobId, JobListener listener) {
        byJob.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> {
            List<JobListener> l = byJob.get(jobId);
            if (l != null) {
                l.remove(listener);
            }
        };
    }

    void roundEnded(RoundSummary s) {
        observeEnd(s);
        jobChanged(s.getJobId());
        for (JobListener l : byJob.getOrDefault(s.getJobId(), List.of())) {
            try {
                l.onRoundEnded(s);
            } catch (RuntimeException e) {
                log.warn("a listener of job {} failed on round {}; unsubscribing it", s.getJobId(), s.getRound(), e);
                byJob.get(s.getJobId()).remove(l);
            }
        }
    }

    void jobEnded(JobRecord job) {
        jobChanged(job.jobId());
        List<JobListener> ls = byJob.remove(job.jobId());
        for (JobListener l : ls == null ? List.<JobListener>of() : ls) {
            try {
                l.onJobEnded(job);
            } catch (RuntimeException e) {
                log.warn("a listener of job {} failed on job end", job.jobId(), e);
            }
        }
    }
}
