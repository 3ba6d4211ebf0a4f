package io.fedlora.coordinator.store;

import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;

/** A job as stored. {@code latestVersion} is the newest published adapter version (0 = initial). */
public record JobRecord(String jobId, JobConfig config, JobState state, int completedRounds, int latestVersion,
        String latestSha256, long createdUnixMs, String failureReason) {

    public JobRecord {
        failureReason = failureReason == null ? "" : failureReason;
    }

    public Job toProto() {
        return Job.newBuilder()
                .setJobId(jobId)
                .setConfig(config)
                .setState(state)
                .setCompletedRounds(completedRounds)
                .setLatestAdapterVersion(latestVersion)
                .setLatestAdapterSha256(latestSha256)
                .setCreatedUnixMs(createdUnixMs)
                .setFailureReason(failureReason)
                .build();
    }

    public boolean isTerminal() {
        return state == JobState.JOB_STATE_COMPLETED || state == JobState.JOB_STATE_FAILED
                || state == JobState.JOB_STATE_CANCELLED;
    }
}
