package io.fedlora.coordinator.store.jdbc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.JobStore;
import io.fedlora.coordinator.store.StoreException;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Jobs, rounds and adapter versions in the tables {@code jobs}, {@code rounds}, {@code adapter_versions}.
 * Every write is fenced ({@link Transactions#runFenced}): only the active coordinator changes a job.
 */
final class JdbcJobStore implements JobStore {

    private static final String JOB_COLUMNS = "job_id, config, state, completed_rounds, latest_version, latest_sha256,"
            + " created_ms, failure_reason";

    private final Transactions tx;

    JdbcJobStore(Transactions tx) {
        this.tx = tx;
    }

    @Override
    public void insertJob(JobRecord j, AdapterVersion initial) {
        tx.runFenced("insert job " + j.jobId(), sql -> {
            sql.update("INSERT INTO jobs (" + JOB_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", j.jobId(),
                    j.config().toByteArray(), j.state().name(), j.completedRounds(), j.latestVersion(), j.latestSha256(),
                    j.createdUnixMs(), j.failureReason());
            insertVersion(sql, initial);
            return null;
        });
    }

    private static void insertVersion(Sql sql, AdapterVersion v) throws SQLException {
        sql.update("INSERT INTO adapter_versions (job_id, version, sha256, size_bytes, created_ms, strategy_state_sha256)"
                + " VALUES (?, ?, ?, ?, ?, ?)", v.jobId(), v.version(), v.sha256(), v.sizeBytes(), v.createdUnixMs(),
                v.strategyStateSha256());
    }

    @Override
    public Optional<JobRecord> job(String jobId) {
        return tx.run("read job", sql -> sql.queryOne("SELECT " + JOB_COLUMNS + " FROM jobs WHERE job_id = ?",
                JdbcJobStore::job, jobId));
    }

    @Override
    public List<JobRecord> jobs() {
        return tx.run("list jobs", sql -> sql.query("SELECT " + JOB_COLUMNS + " FROM jobs ORDER BY created_ms, job_id",
                JdbcJobStore::job));
    }

    private static JobRecord job(ResultSet rs) throws SQLException {
        JobConfig config;
        try {
            config = JobConfig.parseFrom(rs.getBytes("config"));
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored config of job " + rs.getString("job_id") + " is unreadable", e);
        }
        return new JobRecord(rs.getString("job_id"), config, JobState.valueOf(rs.getString("state")),
                rs.getInt("completed_rounds"), rs.getInt("latest_version"), rs.getString("latest_sha256"),
                rs.getLong("created_ms"), rs.getString("failure_reason"));
    }

    @Override
    public void setJobState(String jobId, JobState state, String failureReason) {
        tx.runFenced("update job state", sql -> sql.update("UPDATE jobs SET state = ?, failure_reason = ? WHERE job_id = ?",
                state.name(), failureReason == null ? "" : failureReason, jobId));
    }

    @Override
    public boolean transitionJobState(String jobId, Set<JobState> from, JobState to, String reason) {
        if (from.isEmpty()) {
            return false;
        }
        List<Object> args = new ArrayList<>(List.of(to.name(), reason == null ? "" : reason, jobId));
        from.forEach(f -> args.add(f.name()));
        String in = String.join(", ", Collections.nCopies(from.size(), "?"));
        return tx.runFenced("change job state", sql -> sql.update("UPDATE jobs SET state = ?, failure_reason = ?"
                + " WHERE job_id = ? AND state IN (" + in + ")", args.toArray()) == 1);
    }

    @Override
    public void insertRound(RoundSummary r) {
        tx.runFenced("insert round", sql -> sql.update("INSERT INTO rounds (job_id, round, state, summary) VALUES (?, ?, ?, ?)",
                r.getJobId(), r.getRound(), r.getState().name(), r.toByteArray()));
    }

    @Override
    public void endRound(RoundSummary r) {
        tx.runFenced("end round", sql -> updateRound(sql, r));
    }

    private static int updateRound(Sql sql, RoundSummary r) throws SQLException {
        int n = sql.update("UPDATE rounds SET state = ?, summary = ? WHERE job_id = ? AND round = ?",
                r.getState().name(), r.toByteArray(), r.getJobId(), r.getRound());
        if (n != 1) {
            throw new StoreException("round " + r.getRound() + " of job " + r.getJobId() + " was never started");
        }
        return n;
    }

    @Override
    public boolean completeRound(RoundSummary r, AdapterVersion published) {
        return tx.runFenced("complete round", sql -> {
            // The job's state is checked in the same transaction: once it is CANCELLED, nothing is published.
            int n = sql.update("UPDATE jobs SET completed_rounds = completed_rounds + 1, latest_version = ?,"
                    + " latest_sha256 = ? WHERE job_id = ? AND state IN (?, ?)", published.version(), published.sha256(),
                    r.getJobId(), JobState.JOB_STATE_RUNNING.name(), JobState.JOB_STATE_PAUSED.name());
            if (n != 1) {
                return false;
            }
            updateRound(sql, r);
            insertVersion(sql, published);
            return true;
        });
    }

    @Override
    public List<RoundSummary> rounds(String jobId) {
        return tx.run("list rounds", sql -> sql.query("SELECT summary FROM rounds WHERE job_id = ? ORDER BY round",
                JdbcJobStore::round, jobId));
    }

    private static RoundSummary round(ResultSet rs) throws SQLException {
        try {
            return RoundSummary.parseFrom(rs.getBytes("summary"));
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored round summary is unreadable", e);
        }
    }

    @Override
    public int lastRound(String jobId) {
        return tx.run("read last round", sql -> (int) sql.queryLong(
                "SELECT COALESCE(MAX(round), 0) FROM rounds WHERE job_id = ?", jobId));
    }

    @Override
    public int abortRunningRounds(String reason, long endedUnixMs) {
        return tx.runFenced("abort interrupted rounds", sql -> {
            List<RoundSummary> running = sql.query("SELECT summary FROM rounds WHERE state = ?", JdbcJobStore::round,
                    RoundState.ROUND_STATE_RUNNING.name());
            for (RoundSummary r : running) {
                updateRound(sql, r.toBuilder().setState(RoundState.ROUND_STATE_ABORTED).setAbortReason(reason)
                        .setEndedUnixMs(endedUnixMs).build());
            }
            return running.size();
        });
    }

    @Override
    public Optional<AdapterVersion> adapterVersion(String jobId, int version) {
        return tx.run("read adapter version", sql -> sql.queryOne(
                "SELECT sha256, size_bytes, created_ms, strategy_state_sha256 FROM adapter_versions"
                        + " WHERE job_id = ? AND version = ?",
                rs -> version(jobId, version, rs), jobId, version));
    }

    @Override
    public List<AdapterVersion> adapterVersions(String jobId) {
        return tx.run("list adapter versions", sql -> sql.query(
                "SELECT version, sha256, size_bytes, created_ms, strategy_state_sha256 FROM adapter_versions"
                        + " WHERE job_id = ? ORDER BY version",
                rs -> version(jobId, rs.getInt("version"), rs), jobId));
    }

    private static AdapterVersion version(String jobId, int version, ResultSet rs) throws SQLException {
        // CHAR(64) pads the empty "no state" value with spaces.
        return new AdapterVersion(jobId, version, rs.getString("sha256"), rs.getLong("size_bytes"),
                rs.getLong("created_ms"), rs.getString("strategy_state_sha256").trim());
    }
}
