package io.fedlora.coordinator.web;

import io.fedlora.coordinator.app.Action;
import io.fedlora.coordinator.app.CoordinatorApp;
import io.fedlora.coordinator.app.RecordDpBound;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The API's JSON shapes (see openapi.json). Numbers that are not known are null, never NaN. */
final class JsonViews {

    private JsonViews() {}

    static JsonObject job(JobRecord job, List<RoundSummary> rounds) {
        JobConfig c = job.config();
        RoundSummary lastDone = null;
        RoundSummary lastEval = null;
        Double epsilon = null;
        java.util.SortedSet<String> precisions = new java.util.TreeSet<>();
        for (RoundSummary r : rounds) {
            if (r.getState() == RoundState.ROUND_STATE_COMPLETED) {
                lastDone = r;
                precisions.addAll(r.getBasePrecisionsList());
                if (r.hasEval()) {
                    lastEval = r;
                }
                if (r.hasClientDp()) {
                    epsilon = r.getClientDp().getCumulativeEpsilon();
                }
            }
        }
        boolean secure = c.hasSecureAggregation();
        JsonObject secagg = new JsonObject().put("enabled", secure)
                .put("k", lastDone != null && lastDone.getSecureAggregation() ? lastDone.getSecaggNeighbours() : null)
                .put("t", lastDone != null && lastDone.getSecureAggregation() ? lastDone.getSecaggThreshold() : null)
                .put("dropout", secure ? c.getSecureAggregation().getDropoutFraction() : null);
        boolean dp = secure && c.getSecureAggregation().hasDistributedDp();
        java.util.OptionalDouble recordDp = RecordDpBound.epsilon(c, job.completedRounds());
        return new JsonObject()
                .put("id", job.jobId())
                .put("name", c.getName())
                .put("state", label(job.state().name(), "JOB_STATE_"))
                .put("roundsDone", job.completedRounds())
                .put("rounds", c.getRounds())
                .put("trainLoss", lastDone == null ? null : number(lastDone.getTrainLoss()))
                .put("evalMetric", lastEval == null ? null : lastEval.getEval().getExactMatch())
                .put("evalLoss", lastEval == null ? null : lastEval.getEval().getLoss())
                .put("evalOfVersion", lastEval == null ? null : lastEval.getEval().getOfAdapterVersion())
                .put("basePrecisions", new JsonArray(List.copyOf(precisions)))
                .put("epsilonSpent", epsilonSpent(dp, epsilon, recordDp))
                // Client-level: the accountant's figure for the job. Record-level: a bound, the ε of a node in every round.
                .put("epsilonKind", dp ? "client-level" : recordDp.isPresent() ? "record-level, a node in every round" : null)
                .put("epsilonBudget", dp ? c.getSecureAggregation().getDistributedDp().getTargetEpsilon() : null)
                .put("secagg", secagg)
                .put("aggregation", c.getLora().getAggregationMode() == AggregationMode.AGGREGATION_MODE_INEXACT_BOTH
                        ? "inexact" : "exact")
                .put("strategy", label(c.getStrategy().name(), "STRATEGY_").replace("unspecified", "fedavg"))
                .put("latestVersion", job.latestVersion())
                .put("latestSha256", job.latestSha256())
                .put("createdAt", job.createdUnixMs())
                .put("failureReason", job.failureReason().isEmpty() ? null : job.failureReason());
    }

    /** Client-level: the accountant's figure (0 before any round); record-level: the bound; else none. */
    private static Double epsilonSpent(boolean clientLevel, Double accountant, java.util.OptionalDouble recordLevel) {
        if (clientLevel) {
            return accountant == null ? 0.0 : accountant;
        }
        return recordLevel.isPresent() ? Double.valueOf(recordLevel.getAsDouble()) : null;
    }

    /** Every job the caller may see, as rows (reads the store: off the event loop). */
    static io.vertx.core.json.JsonArray jobs(io.fedlora.coordinator.app.CoordinatorApp app,
            io.fedlora.coordinator.app.Principal p) {
        io.vertx.core.json.JsonArray out = new io.vertx.core.json.JsonArray();
        for (JobRecord j : app.listJobs(p)) {
            out.add(job(j, app.rounds(p, j.jobId())));
        }
        return out;
    }

    static JsonObject jobDetail(JobRecord job, List<RoundSummary> rounds, List<AdapterVersion> versions,
            List<Action> allowed) {
        JsonObject o = job(job, rounds);
        JsonArray rs = new JsonArray();
        int completed = 0;
        for (RoundSummary r : rounds) {
            JsonObject row = round(r);
            if (r.getState() == RoundState.ROUND_STATE_COMPLETED) {
                completed++;
                withRecordDp(row, job.config(), completed);
            }
            rs.add(row);
        }
        JsonArray vs = new JsonArray();
        versions.forEach(v -> vs.add(new JsonObject().put("version", v.version()).put("sha256", v.sha256())
                .put("bytes", v.sizeBytes()).put("createdAt", v.createdUnixMs())));
        JsonArray as = new JsonArray();
        allowed.forEach(a -> as.add(actionLabel(a)));
        return o.put("rounds", rs).put("versions", vs).put("actions", as).put("roundsTotal", job.config().getRounds());
    }

    /** Record-level DP-SGD jobs: the round's cumulative ε bound, as the ε chart reads it ({@link RecordDpBound}). */
    static JsonObject withRecordDp(JsonObject round, JobConfig c, int completedSoFar) {
        if (round.getValue("cumulativeEpsilon") == null) { // a client-level figure, if any, is the job's
            RecordDpBound.epsilon(c, completedSoFar).ifPresent(e -> round.put("cumulativeEpsilon", e));
        }
        return round;
    }

    static JsonObject round(RoundSummary r) {
        Set<String> contributed = new HashSet<>(r.getContributingNodesList());
        java.util.Map<String, String> droppedAt = new java.util.HashMap<>();
        JsonObject stageMs = new JsonObject();
        for (var st : r.getStagesList()) {
            stageMs.put(st.getStage(), st.getDurationMs());
            st.getDroppedNodesList().forEach(n -> droppedAt.putIfAbsent(n, st.getStage()));
        }
        JsonArray dropped = new JsonArray();
        if (r.getState() != RoundState.ROUND_STATE_RUNNING) {
            for (String n : r.getSelectedNodesList()) {
                if (!contributed.contains(n)) {
                    dropped.add(new JsonObject().put("node", n).put("stage", droppedAt.get(n)));
                }
            }
        }
        Long trainMs = r.getMeanTrainSeconds() > 0 ? Math.round(r.getMeanTrainSeconds() * 1000) : null;
        Long totalMs = r.getEndedUnixMs() > 0 ? r.getEndedUnixMs() - r.getStartedUnixMs() : null;
        return new JsonObject()
                .put("round", r.getRound())
                .put("state", label(r.getState().name(), "ROUND_STATE_"))
                .put("startedAt", r.getStartedUnixMs())
                .put("endedAt", r.getEndedUnixMs() > 0 ? r.getEndedUnixMs() : null)
                .put("selected", new JsonArray(List.copyOf(r.getSelectedNodesList())))
                .put("contributors", new JsonArray(List.copyOf(r.getContributingNodesList())))
                .put("dropped", dropped)
                .put("stageMs", stageMs)
                .put("trainMs", trainMs)
                .put("otherMs", totalMs == null ? null : Math.max(0, totalMs - (trainMs == null ? 0 : trainMs)))
                .put("abortReason", r.getAbortReason().isEmpty() ? null : r.getAbortReason())
                .put("adapterVersion", r.getAdapterVersion() > 0 ? r.getAdapterVersion() : null)
                .put("sha256", r.getAdapterSha256().isEmpty() ? null : r.getAdapterSha256())
                .put("trainLoss", number(r.getTrainLoss()))
                .put("evalMetric", r.hasEval() ? r.getEval().getExactMatch() : null)
                .put("evalLoss", r.hasEval() ? r.getEval().getLoss() : null)
                .put("evalOfVersion", r.hasEval() ? r.getEval().getOfAdapterVersion() : null)
                .put("evalNodes", r.hasEval() ? r.getEval().getNodes() : null)
                .put("basePrecisions", new JsonArray(List.copyOf(r.getBasePrecisionsList())))
                .put("epsilon", r.hasClientDp() ? r.getClientDp().getRoundEpsilon() : null)
                .put("cumulativeEpsilon", r.hasClientDp() ? r.getClientDp().getCumulativeEpsilon() : null);
    }

    static JsonObject node(CoordinatorApp.NodeView v) {
        return new JsonObject()
                .put("id", v.node().nodeId())
                .put("name", v.node().nodeName())
                .put("connected", v.connected())
                .put("lastSeen", v.lastSeenUnixMs() > 0 ? v.lastSeenUnixMs() : null)
                .put("certificateExpiry", v.certificateExpiresUnixMs() > 0 ? v.certificateExpiresUnixMs() : null)
                .put("baseModelSha256", new JsonArray(List.copyOf(v.node().baseModels())))
                .put("device", v.node().device())
                .put("revoked", v.revoked());
    }

    static JsonObject audit(AuditRecord a) {
        return new JsonObject().put("seq", a.seq()).put("at", a.atUnixMs()).put("actor", a.actor())
                .put("role", a.actorRole()).put("action", a.action()).put("target", a.target())
                .put("outcome", a.outcome()).put("detail", a.detail()).put("hash", a.hash());
    }

    static JsonObject logLine(io.fedlora.coordinator.app.JobLog.Line l) {
        return new JsonObject().put("time", java.time.Instant.ofEpochMilli(l.unixMs()).toString())
                .put("level", l.level()).put("message", l.message());
    }

    /** {@code PAUSE_JOB} as the API names it: {@code pause}. */
    static String actionLabel(Action a) {
        return switch (a) {
            case START_JOB -> "start";
            case PAUSE_JOB -> "pause";
            case RESUME_JOB -> "resume";
            case CANCEL_JOB -> "cancel";
            case DOWNLOAD_ADAPTER -> "download";
            default -> a.name().toLowerCase(Locale.ROOT);
        };
    }

    private static String label(String enumName, String prefix) {
        return enumName.startsWith(prefix) ? enumName.substring(prefix.length()).toLowerCase(Locale.ROOT)
                : enumName.toLowerCase(Locale.ROOT);
    }

    private static Double number(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) ? null : d;
    }
}
