package io.fedlora.coordinator.round;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SecureSimulatedClient.Behaviour;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrainTask;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * For tests outside this package (metrics, traces): the real round loop and store with in-memory
 * clients that run the real SecAgg+ client; one of them drops out in the key-sharing stage.
 */
public final class SecureFederationFixture implements AutoCloseable {

    private final Store store;
    private final Jobs jobs;
    private final ConnectedNodes nodes;
    private final RoundScheduler scheduler;
    private final List<SecureSimulatedClient> clients = new ArrayList<>();

    /** {@code observer} hears the rounds of clients connected to {@code nodes}; ready for {@link #connect}. */
    public SecureFederationFixture(Path dir, ConnectedNodes nodes, RoundObserver observer) {
        this.nodes = nodes;
        store = DatabaseSettings.embedded(dir).open();
        FileBlobStore blobs = new FileBlobStore(dir.resolve("blobs"));
        jobs = new Jobs(store, blobs, InstantSource.system());
        scheduler = new RoundScheduler(store, blobs, nodes, new JobEvents(observer), InstantSource.system(),
                new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(50)));
    }

    public ConnectedNodes nodes() {
        return nodes;
    }

    /** Connects {@code honest} honest clients and one that drops out at key sharing. */
    public void connect(int honest) {
        for (int i = 0; i <= honest; i++) {
            Behaviour b = i == honest ? Behaviour.DROP_AT_2 : Behaviour.HONEST;
            SecureSimulatedClient c = new SecureSimulatedClient("c" + i, 10 + i, b, scheduler, nodes, "none");
            store.upsertNode(c.node);
            clients.add(c);
            c.connect();
        }
    }

    /** Runs a secure job of {@code rounds} rounds over every client to its end; returns its rounds. */
    public List<RoundSummary> runJob(int rounds) throws InterruptedException {
        int n = clients.size();
        JobConfig cfg = Fixtures.secureConfig(rounds, n, n - 2, 60);
        String job = jobs.create(cfg).jobId();
        scheduler.startJob(job);
        Fixtures.await("job completes", Duration.ofSeconds(60),
                () -> store.job(job).orElseThrow().state() == JobState.JOB_STATE_COMPLETED);
        for (SecureSimulatedClient c : clients) {
            if (!c.errors.isEmpty()) {
                throw new AssertionError(c.node.nodeName() + " failed", c.errors.get(0));
            }
        }
        return jobs.rounds(job);
    }

    /** Every task the clients were sent. */
    public List<TrainTask> tasks() {
        return clients.stream().flatMap(c -> c.tasks.stream()).toList();
    }

    @Override
    public void close() {
        scheduler.close(Duration.ofSeconds(5));
        clients.forEach(SecureSimulatedClient::close);
        store.close();
    }
}
