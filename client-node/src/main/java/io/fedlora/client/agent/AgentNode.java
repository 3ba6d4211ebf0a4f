package io.fedlora.client.agent;

import io.fedlora.client.privacy.PrivacyLedger;
import io.fedlora.client.tls.CoordinatorChannels;
import io.fedlora.client.tls.RenewableChannel;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.TrainTask;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client node's agent: registers (keeping its id across restarts), holds a Connect stream open,
 * and for each TrainTask fetches the global adapter, trains locally with the {@link LocalTrainer}
 * and uploads the delta. Over mutual TLS it renews its certificate before it expires
 * ({@link RenewalPolicy}). When the coordinator goes away it reconnects with capped, jittered
 * exponential backoff, forever, until {@link #close()}.
 *
 * <p>Give it every coordinator address ({@link AgentConfig#coordinatorTargets()}: the active
 * coordinator and its standbys, which refuse connections until they hold the lease): the agent
 * follows the one that answers, moving to the next address as soon as one fails or its stream is
 * lost, and backs off only after all of them failed in turn.
 *
 * <p>Made of: {@link ConnectionLoop} (one control thread: register, connect, reconnect, heartbeat),
 * {@link CoordinatorClient} (the calls, with their retries, to the coordinator followed now),
 * {@link TaskPipeline} (one worker that admits and runs tasks one at a time) and
 * {@link SecAggDispatcher} (the secure rounds, on their own thread). The trainer belongs to the
 * caller, who closes it after closing the agent.
 */
public final class AgentNode implements AutoCloseable {

    /** The agent's one logger name, used by all its parts: log configurations name it. */
    static final Logger LOG = LoggerFactory.getLogger(AgentNode.class);
    /** How long {@link #close()} waits, in all, for the agent's threads and channels to stop. */
    static final Duration CLOSE_BUDGET = Duration.ofSeconds(10);

    private final AgentConfig config;
    private final CoordinatorLinks links;
    private final NodeId nodeId;
    private final ConnectionLoop loop;
    private final TaskPipeline tasks;
    private final SecAggDispatcher secagg;
    /** Certificate renewal checks (mutual TLS only): at start, then every {@link RenewalPolicy#checkInterval()}. */
    private final ScheduledExecutorService renewals;
    private final CertificateRenewer renewer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private AgentNode(AgentConfig config, LocalTrainer trainer, CoordinatorLinks links,
            List<RenewableChannel> renewable) throws IOException {
        this.config = config;
        this.links = links;
        Files.createDirectories(config.stateDir());
        SecureRandom random = new SecureRandom();
        PrivacyGate privacyGate = new PrivacyGate(config.privacyBudget() == null ? null
                : PrivacyLedger.open(config.stateDir().resolve("privacy-ledger.json"), config.privacyBudget(),
                        InstantSource.system()));
        Ed25519PrivateKey identity = IdentityKey.loadOrCreate(config.stateDir(), random);
        this.nodeId = new NodeId(config.stateDir());
        Backoff backoff = new Backoff(config.initialBackoff(), config.maxBackoff(), RandomGenerator.of("L64X128MixRandom"));
        RememberedRounds cancelled = new RememberedRounds();
        // Cancelled by the coordinator, abandoned with a lost stream, or the agent is closing.
        Predicate<TrainTask> abandoned = t -> closed.get() || cancelled.contains(Rounds.key(t));
        CoordinatorClient client = new CoordinatorClient(config, links, nodeId, backoff, abandoned);
        this.secagg = new SecAggDispatcher(config, client, cancelled);
        this.tasks = new TaskPipeline(config, trainer, client, secagg, nodeId, identity, random, privacyGate,
                abandoned);
        this.loop = new ConnectionLoop(config, identity, links, client, nodeId, backoff, this::onEvent,
                secagg::abandonUnmaskedRounds);
        if (renewable.isEmpty()) {
            this.renewer = null;
            this.renewals = null;
        } else {
            this.renewer = new CertificateRenewer(config, identity, renewable, links::inTurn,
                    InstantSource.system(), random);
            this.renewals = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "agent-renewal-" + config.nodeName()));
        }
    }

    private void startThreads() {
        loop.start();
        if (renewals != null) {
            long every = config.renewal().checkInterval().toMillis();
            renewals.scheduleWithFixedDelay(renewer::renewIfDue, 0, every, TimeUnit.MILLISECONDS);
        }
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Starts an agent with its own channel to each of {@code config.coordinatorTargets()}, closed by
     * {@link #close()}: mutual TLS with the certificate in {@code stateDir/tls}, enrolling first if there
     * is none (see {@link AgentCredentials}); plaintext only with {@code insecureTransport}.
     */
    public static AgentNode start(AgentConfig config, LocalTrainer trainer) throws IOException {
        List<String> targets = config.coordinatorTargets();
        List<RenewableChannel> renewable = List.of();
        List<? extends ManagedChannel> channels;
        if (config.insecureTransport()) {
            channels = CoordinatorLinks.openAll(targets, CoordinatorChannels::plaintext);
        } else {
            TlsCredentials credentials = AgentCredentials.ensure(config, new SecureRandom());
            renewable = CoordinatorLinks.openAll(targets, t -> new RenewableChannel(t, credentials));
            channels = renewable;
        }
        try {
            return started(new AgentNode(config, trainer, CoordinatorLinks.owning(targets, channels), renewable));
        } catch (IOException | RuntimeException e) {
            channels.forEach(ManagedChannel::shutdownNow);
            throw e;
        }
    }

    /** Starts an agent on a channel the caller made and will close (tests, TLS channels). */
    public static AgentNode start(AgentConfig config, LocalTrainer trainer, Channel channel) throws IOException {
        // One channel is one coordinator, whatever the config lists; logs name it as configured.
        return started(new AgentNode(config, trainer,
                CoordinatorLinks.borrowing(List.of(config.coordinatorTarget()), t -> channel), List.of()));
    }

    /** Starts an agent with a channel per coordinator address, made by {@code channelFor} and closed by its caller. */
    static AgentNode start(AgentConfig config, LocalTrainer trainer, Function<String, ? extends Channel> channelFor)
            throws IOException {
        return started(new AgentNode(config, trainer,
                CoordinatorLinks.borrowing(config.coordinatorTargets(), channelFor), List.of()));
    }

    private static AgentNode started(AgentNode a) {
        a.startThreads();
        return a;
    }

    /** The id the coordinator assigned; empty before the first registration of a fresh state dir. */
    public String nodeId() {
        return nodeId.get();
    }

    /** Whether the Connect stream is open (the coordinator's first heartbeat has arrived). */
    public boolean isConnected() {
        return loop.isConnected();
    }

    /** Waits until connected; false on timeout. */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!loop.isConnected()) {
            if (System.nanoTime() > end || closed.get()) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private void onEvent(AgentEvent e) {
        switch (e.getEventCase()) {
            case TRAIN -> tasks.offer(e.getTrain());
            case SECAGG -> secagg.onMessage(e.getSecagg());
            case CANCEL -> secagg.onCancel(e.getCancel());
            default -> { }
        }
    }

    /**
     * Stops reconnecting, ends the stream, stops the worker (interrupting a training step), the SecAgg
     * and renewal threads, then closes owned channels, waiting for all of it at most {@link #CLOSE_BUDGET}
     * in all. A second call does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        loop.stop();
        tasks.worker().shutdownNow();
        secagg.executor().shutdownNow();
        if (renewals != null) {
            renewals.shutdownNow();
        }
        ShutdownBudget budget = new ShutdownBudget(CLOSE_BUDGET);
        try {
            budget.await("the control thread", loop.thread());
            budget.await("training (the worker)", tasks.worker());
            budget.await("the secure aggregation thread", secagg.executor());
            budget.await("certificate renewal", renewals);
            links.shutdown(budget);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            links.shutdownNow();
            budget.late("what was still running (close was interrupted)");
        }
        loop.markDisconnected();
        if (!budget.late().isEmpty()) {
            LOG.warn("agent close: {} did not stop within {} s", String.join(", ", budget.late()),
                    budget.total().toSeconds());
        }
    }
}
