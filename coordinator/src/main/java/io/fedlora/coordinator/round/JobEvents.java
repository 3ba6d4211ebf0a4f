package io.fedlora.coordinator.round;

import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.proto.v1.RoundSummary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Fans out round and job events to subscribers (WatchJob streams, the dashboard, tests). */
public final class JobEvents {

    private static final Logger log = LoggerFactory.getLogger(JobEvents.class);

    private final Map<String, List<JobListener>> byJob = new ConcurrentHashMap<>();

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
