package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole job over a real loopback port with mutual TLS (each agent enrolled, on its own channel)
 * and adapters larger than one chunk, then a coordinator restart on the same data directory: the
 * CA and certificates still hold, finished work is still there, and a job that was waiting for
 * nodes resumes.
 */
class CoordinatorLoopbackTest {

    @TempDir
    Path dir;

    private CoordinatorServer startServer() throws Exception {
        return CoordinatorServer.start(storage(CoordinatorConfig.builder(dir)).host("127.0.0.1").port(0)
                .insecurePlaintext(true).heartbeatInterval(Duration.ofMillis(200))
                .roundTiming(new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(20))).build());
    }

    /** Where the coordinator keeps its state: by default the embedded store and blob directory in {@code dir}. */
    CoordinatorConfig.Builder storage(CoordinatorConfig.Builder config) {
        return config;
    }

    /** An enrolled agent on its own mutual-TLS channel, registering with its certified identity key. */
    private static GrpcTestAgent agent(TlsTestClients clients, String name, long examples,
            Map<String, TlsTestClients.Enrolled> enrolled) throws Exception {
        TlsTestClients.Enrolled e = enrolled.containsKey(name) ? enrolled.get(name) : clients.enrollAgent(name);
        enrolled.put(name, e);
        GrpcTestAgent a = new GrpcTestAgent(clients.channel(java.util.Optional.of(e.credentials())), name, examples, true);
        a.identityKey = e.identity().publicKey().toBytes();
        return a;
    }

    @Test
    void jobOverLoopbackThenRestart() throws Exception {
        // 10 layers x (q, v) x rank 4 x 2048: 327,680 elements, a 1.3 MB adapter, so two chunks.
        AdapterLayout layout = LoraLayouts.llama(new LlamaDims(10, 2048, 4096, 16, 16, 128), 4, List.of("q_proj", "v_proj"));
        JobConfig cfg = Fixtures.config(layout, 2, 3, 3, 60);
        Map<String, Long> examplesByNode = new HashMap<>();
        Map<String, String> nameByNode = new HashMap<>();
        String jobId;
        String waitingJobId;
        String latestSha;
        List<String> ids = new ArrayList<>();

        Map<String, TlsTestClients.Enrolled> enrolled = new HashMap<>();
        CoordinatorServer server = startServer();
        TlsTestClients clients = new TlsTestClients(server, dir);
        ManagedChannel ch = clients.adminChannel();
        List<GrpcTestAgent> agents = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                GrpcTestAgent a = agent(clients, "node-" + i, 10 + 5L * i, enrolled);
                agents.add(a);
                ids.add(a.register());
                examplesByNode.put(a.nodeId, a.examples);
                nameByNode.put(a.nodeId, a.name);
                a.connect();
            }
            var admin = AdminServiceGrpc.newBlockingStub(ch);
            jobId = admin.createJob(CreateJobRequest.newBuilder().setConfig(cfg).build()).getJobId();
            admin.startJob(JobRef.newBuilder().setJobId(jobId).build());
            List<RoundSummary> watched = new ArrayList<>();
            Iterator<RoundSummary> it = admin.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .watchJob(JobRef.newBuilder().setJobId(jobId).build());
            it.forEachRemaining(watched::add);
            assertEquals(2, watched.size());
            Job done = admin.getJob(JobRef.newBuilder().setJobId(jobId).build());
            assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
            assertEquals(2, done.getCompletedRounds());
            for (GrpcTestAgent a : agents) {
                assertEquals(List.of(), a.errors);
                // The round closes on the coordinator's side; the agent counts its OK when the response lands.
                Fixtures.await(a.name + "'s second update to be acknowledged", Duration.ofSeconds(10),
                        () -> a.accepted.get() == 2);
            }

            // Check the chain v0 -> v1 -> v2 against the double-precision reference.
            float[] prev = FlatAdapter.initial(layout, cfg.getLora().getASeed()).values();
            for (RoundSummary r : watched) {
                assertEquals(RoundState.ROUND_STATE_COMPLETED, r.getState());
                Map<float[], Long> deltas = new LinkedHashMap<>();
                for (String id : r.getContributingNodesList()) {
                    deltas.put(Fixtures.delta(nameByNode.get(id), r.getRound(), prev.length), examplesByNode.get(id));
                }
                FlatAdapter got = FlatAdapter.fromSafetensors(layout,
                        AdminServiceTest.download(admin, jobId, r.getAdapterVersion()));
                assertTrue(Fixtures.maxAbsDiff(Fixtures.fedAvgReference(prev, deltas), got) < 1e-6);
                prev = got.values();
            }
            latestSha = done.getLatestAdapterSha256();

            // A second job that needs more nodes than are connected: it waits, across the restart.
            JobConfig needs4 = Fixtures.config(1, 4, 4, 60);
            waitingJobId = admin.createJob(CreateJobRequest.newBuilder().setConfig(needs4).build()).getJobId();
            admin.startJob(JobRef.newBuilder().setJobId(waitingJobId).build());
        } finally {
            agents.forEach(GrpcTestAgent::close);
            server.close();
            clients.close();
        }

        CoordinatorServer again = startServer();
        TlsTestClients clients2 = new TlsTestClients(again, dir);
        ManagedChannel ch2 = clients2.adminChannel();
        List<GrpcTestAgent> agents2 = new ArrayList<>();
        try {
            var admin = AdminServiceGrpc.newBlockingStub(ch2);
            Job job = admin.getJob(JobRef.newBuilder().setJobId(jobId).build());
            assertEquals(JobState.JOB_STATE_COMPLETED, job.getState());
            assertEquals(2, job.getCompletedRounds());
            assertEquals(latestSha, job.getLatestAdapterSha256());
            assertEquals(latestSha, Sha256.hex(AdminServiceTest.download(admin, jobId, -1)));
            assertEquals(2, admin.listRounds(JobRef.newBuilder().setJobId(jobId).build()).getRoundsCount());
            var nodes = admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
            assertEquals(3, nodes.size());
            assertTrue(nodes.stream().noneMatch(n -> n.getConnected()));

            assertEquals(JobState.JOB_STATE_RUNNING,
                    admin.getJob(JobRef.newBuilder().setJobId(waitingJobId).build()).getState());
            for (int i = 0; i < 4; i++) {
                // The first three come back with the certificates they enrolled with before the restart.
                GrpcTestAgent a = agent(clients2, "node-" + i, 10, enrolled);
                agents2.add(a);
                String id = a.register();
                if (i < 3) {
                    assertEquals(ids.get(i), id, "a re-registering node keeps its id");
                } else {
                    assertFalse(ids.contains(id));
                }
                a.connect();
            }
            Job resumed = again.awaitJob(waitingJobId, Duration.ofSeconds(30));
            assertEquals(JobState.JOB_STATE_COMPLETED, resumed.getState());
            assertEquals(1, resumed.getLatestAdapterVersion());
        } finally {
            agents2.forEach(GrpcTestAgent::close);
            again.close();
            clients2.close();
        }
    }
}
