package io.fedlora.coordinator.store;

import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundSummary;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Jobs, their rounds and the adapter versions they published (hashes only; bytes in a {@link BlobStore}). */
public interface JobStore {

    /** Stores a new job together with its version-0 adapter, atomically. */
    void insertJob(JobRecord job, AdapterVersion initial);

    Optional<JobRecord> job(String jobId);

    /** All jobs, oldest first. */
    List<JobRecord> jobs();

    void setJobState(String jobId, JobState state, String failureReason);

    /**
     * Moves the job to {@code to} only if it is in one of {@code from}, atomically; false (and nothing
     * written) otherwise. Concurrent transitions (an operator cancelling, the round loop completing)
     * thus cannot overwrite each other.
     */
    boolean transitionJobState(String jobId, Set<JobState> from, JobState to, String reason);

    /** Records a round that has just started (state RUNNING). */
    void insertRound(RoundSummary running);

    /** Records how a round ended without publishing (ABORTED). */
    void endRound(RoundSummary ended);

    /**
     * Records a completed round with the adapter version it published, and moves the job's latest
     * version and completed-round count forward, atomically, if the job is still running or paused.
     * False (and nothing written) when it is not, e.g. cancelled while the round was aggregated.
     */
    boolean completeRound(RoundSummary completed, AdapterVersion published);

    /** The job's rounds in order. */
    List<RoundSummary> rounds(String jobId);

    /** The highest round number used by the job, 0 when none. */
    int lastRound(String jobId);

    /** Marks rounds left RUNNING (by a coordinator that stopped) as ABORTED; returns how many. */
    int abortRunningRounds(String reason, long endedUnixMs);

    Optional<AdapterVersion> adapterVersion(String jobId, int version);

    /** All of the job's adapter versions, by version number. */
    List<AdapterVersion> adapterVersions(String jobId);
}
