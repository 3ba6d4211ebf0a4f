package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.BlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.JobStore;
import io.fedlora.coordinator.store.StoreException;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Whether a job's stored state lets its round loop carry on from where it stopped: versions 0 to the
 * job's latest stored without gaps, one completed round per published version, and the latest
 * adapter and its strategy state in the blob store, intact and of the job's layout. Checked before a
 * loop starts, so a job that cannot go on ends FAILED saying why, instead of failing later on a blob
 * store's message, or carrying on from the wrong state (a server optimizer silently reset).
 */
final class ResumeCheck {

    /** How many version or round numbers a reason lists before it only counts the rest. */
    private static final int LISTED = 5;

    private ResumeCheck() {}

    /** What stops {@code job} from resuming, one operator-readable sentence each; empty when it can. */
    static List<String> problems(JobRecord job, JobStore store, BlobStore blobs) {
        List<String> out = new ArrayList<>();
        int latest = job.latestVersion();
        List<Integer> stored = store.adapterVersions(job.jobId()).stream().map(AdapterVersion::version).toList();
        List<Integer> expected = IntStream.rangeClosed(0, latest).boxed().toList();
        List<Integer> missing = expected.stream().filter(v -> !stored.contains(v)).toList();
        List<Integer> beyond = stored.stream().filter(v -> v < 0 || v > latest).toList();
        if (!missing.isEmpty()) {
            out.add("the store has no record of adapter " + versions(missing) + " (the job is at version " + latest
                    + "; versions must run from 0 without gaps)");
        }
        if (!beyond.isEmpty()) {
            out.add("the store records adapter " + versions(beyond) + " beyond the job's latest version " + latest);
        }
        // Each completed round publishes exactly the next version (RoundLedger.publish, one transaction).
        if (job.completedRounds() != latest) {
            out.add("the job counts " + job.completedRounds() + " completed rounds but its latest adapter version is "
                    + latest + " (each completed round publishes one version)");
        }
        List<Integer> published = store.rounds(job.jobId()).stream()
                .filter(r -> r.getState() == RoundState.ROUND_STATE_COMPLETED).map(RoundSummary::getAdapterVersion)
                .toList();
        if (!published.equals(IntStream.rangeClosed(1, job.completedRounds()).boxed().toList())) {
            out.add("the job counts " + job.completedRounds() + " completed rounds but the store records "
                    + published.size() + (published.isEmpty() ? "" : ", publishing " + versions(published)));
        }
        Optional<AdapterVersion> row = store.adapterVersion(job.jobId(), latest);
        if (row.isPresent() && !row.get().sha256().equals(job.latestSha256())) {
            out.add("adapter version " + latest + " is recorded as sha256 " + shortSha(row.get().sha256())
                    + " but the job names " + shortSha(job.latestSha256()) + " as its latest adapter");
        }
        String what = "adapter version " + latest + " (sha256 " + shortSha(job.latestSha256()) + ")";
        readBlob(job.latestSha256(), what, blobs, out).ifPresent(bytes -> {
            try {
                FlatAdapter.fromSafetensors(job.config().getAdapterLayout(), bytes);
            } catch (IOException | IllegalArgumentException e) {
                out.add(what + " does not fit the job's adapter_layout: " + e.getMessage());
            }
        });
        String stateSha = row.map(AdapterVersion::strategyStateSha256).orElse("");
        if (!stateSha.isEmpty()) {
            readBlob(stateSha, "the strategy state of adapter version " + latest + " (the server optimizer's moments,"
                    + " sha256 " + shortSha(stateSha) + ")", blobs, out);
        }
        return out;
    }

    /** The blob's bytes, or empty with a problem added saying what of {@code what} is wrong. */
    private static Optional<byte[]> readBlob(String sha, String what, BlobStore blobs, List<String> out) {
        try {
            return Optional.of(blobs.get(sha));
        } catch (StoreException.BlobMissing e) {
            out.add(what + " is missing from the blob store");
        } catch (StoreException.BlobCorrupted e) {
            out.add(what + " is corrupted in the blob store: its bytes no longer match that sha256");
        } catch (StoreException | IllegalArgumentException e) {
            out.add(what + " cannot be read from the blob store: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Enough of a sha256 for an operator to find the blob; reasons stay one readable line. */
    static String shortSha(String sha) {
        return sha.length() <= 8 ? "'" + sha + "'" : sha.substring(0, 8) + "…";
    }

    private static String versions(List<Integer> vs) {
        String head = String.join(", ", vs.stream().limit(LISTED).map(String::valueOf).toList());
        String word = vs.size() == 1 ? "version " : "versions ";
        return word + head + (vs.size() > LISTED ? " and " + (vs.size() - LISTED) + " more" : "");
    }
}
