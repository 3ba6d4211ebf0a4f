package io.fedlora.coordinator.round;

import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.proto.v1.RoundSummary;

/** Hears about a job's progress. Called on the job's round-loop thread: must not block. */
public interface JobListener {

    void onRoundEnded(RoundSummary summary);

    /** The job reached a terminal state (completed or failed); no further calls follow. */
    void onJobEnded(JobRecord job);
}
