package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** An admin channel to a coordinator process, with the waits the end-to-end tests share. */
final class AdminClient implements AutoCloseable {

    private static final Duration PATIENCE = Duration.ofSeconds(180);

    final ManagedChannel channel;
    final AdminServiceGrpc.AdminServiceBlockingStub stub;

    AdminClient(ManagedChannel channel) {
        this.channel = channel;
        this.stub = AdminServiceGrpc.newBlockingStub(channel).withWaitForReady();
    }

    static JobRef ref(String job) {
        return JobRef.newBuilder().setJobId(job).build();
    }

    List<RoundSummary> rounds(String job) {
        return stub.listRounds(ref(job)).getRoundsList();
    }

    long connectedNodes() {
        return stub.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().stream()
                .filter(x -> x.getConnected()).count();
    }

    void awaitConnected(int n) throws InterruptedException {
        await(n + " clients connected", () -> connectedNodes() >= n);
    }

    int awaitRunningRound(String job) throws InterruptedException {
        int[] round = {0};
        await("a running round", () -> {
            Optional<RoundSummary> r = rounds(job).stream().filter(x -> x.getState() == RoundState.ROUND_STATE_RUNNING)
                    .findFirst();
            r.ifPresent(x -> round[0] = x.getRound());
            return r.isPresent();
        });
        return round[0];
    }

    void awaitCompletedRounds(String job, int n) throws InterruptedException {
        await(n + " completed rounds", () -> stub.getJob(ref(job)).getCompletedRounds() >= n);
    }

    Job awaitJob(String job) throws InterruptedException {
        await("the job ends", () -> {
            JobState s = stub.getJob(ref(job)).getState();
            return s == JobState.JOB_STATE_COMPLETED || s == JobState.JOB_STATE_FAILED;
        });
        return stub.getJob(ref(job));
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    /**
     * Every version in {@code published} is still there with the same sha256; new ones are added to it;
     * no version is published twice and the numbers are 1..n.
     */
    static void assertVersionsKept(List<RoundSummary> rounds, Map<Integer, String> published) {
        Map<Integer, String> now = new LinkedHashMap<>();
        for (RoundSummary r : rounds) {
            if (r.getState() == RoundState.ROUND_STATE_COMPLETED) {
                String before = now.put(r.getAdapterVersion(), r.getAdapterSha256());
                assertEquals(null, before, "version " + r.getAdapterVersion() + " published twice: " + rounds);
            }
        }
        published.forEach((v, sha) -> assertEquals(sha, now.get(v), "version " + v + " changed or lost"));
        for (int v = 1; v <= now.size(); v++) {
            assertTrue(now.containsKey(v), "versions gapless: " + now.keySet());
        }
        published.putAll(now);
    }

    @Override
    public void close() {
        CoordinatorAddress.closeQuietly(channel);
    }
}
