package io.fedlora.client.agent;

import com.google.protobuf.ByteString;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.RegisterRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The control thread: registers, holds the Connect stream open and hands its events on, and when the
 * stream cannot be opened or is lost moves to the next coordinator address at once; only after every
 * address failed in turn does it wait, with capped, jittered exponential backoff, forever, until
 * {@link #stop()}. With a single address that is: back off after every failure.
 */
final class ConnectionLoop {

    private static final Logger log = AgentNode.LOG;
    /** A backoff attempt number past any cap: after refused credentials, reconnect at the slowest pace. */
    private static final int CREDENTIALS_REFUSED = 64;

    private final AgentConfig config;
    private final Ed25519PrivateKey identity;
    private final CoordinatorLinks links;
    private final CoordinatorClient client;
    private final NodeId nodeId;
    private final Backoff backoff;
    private final Consumer<AgentEvent> events;
    /** Called when a stream ends while the agent is not closing. */
    private final Runnable onLost;
    private final Thread thread;
    private final Object sleeper = new Object();
    private final AtomicLong lastEventNanos = new AtomicLong();
    private volatile boolean stopped;
    private volatile boolean connected;
    private volatile ClientCallStreamObserver<ConnectRequest> stream;

    ConnectionLoop(AgentConfig config, Ed25519PrivateKey identity, CoordinatorLinks links, CoordinatorClient client,
            NodeId nodeId, Backoff backoff, Consumer<AgentEvent> events, Runnable onLost) {
        this.config = config;
        this.identity = identity;
        this.links = links;
        this.client = client;
        this.nodeId = nodeId;
        this.backoff = backoff;
        this.events = events;
        this.onLost = onLost;
        this.thread = AgentNode.daemon(this::run, "agent-control-" + config.nodeName());
    }

    void start() {
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    /** Whether the Connect stream is open (the coordinator's first heartbeat has arrived). */
    boolean isConnected() {
        return connected;
    }

    /** Stops reconnecting: wakes a backoff wait, ends the stream, interrupts a call in progress. */
    void stop() {
        stopped = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        ClientCallStreamObserver<ConnectRequest> s = stream;
        if (s != null) {
            s.cancel("agent closing", null);
        }
        thread.interrupt();
    }

    /** After close: no longer connected, whatever the stream's last state. */
    void markDisconnected() {
        connected = false;
    }

    private void run() {
        int attempt = 0;
        int failedInCycle = 0; // addresses tried since the last backoff wait, none of which is up
        while (!stopped) {
            String target = links.current().target();
            boolean established = false;
            try {
                links.current().resetConnectBackoff();
                register();
                established = runConnectStream(target);
                if (established) {
                    attempt = 0; // the stream was established: start the next backoff from the beginning
                }
            } catch (StatusRuntimeException e) {
                if (!stopped && (e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
                        || e.getStatus().getCode() == Status.Code.PERMISSION_DENIED)) {
                    // Refused credentials will not heal by themselves: say so once, then retry only slowly.
                    if (attempt < CREDENTIALS_REFUSED) {
                        log.error("coordinator {} refused this node's credentials: {} (revoked? enrol again with a new"
                                + " token and a fresh state dir)", target, e.getStatus());
                    }
                    attempt = Math.max(attempt, CREDENTIALS_REFUSED);
                } else if (!stopped) {
                    log.warn("coordinator {} unreachable or refused: {}", target, e.getStatus());
                }
            } catch (IOException e) {
                if (!stopped) { // an interrupt from stop() can abort the write; that is no fault
                    log.error("cannot persist the node id in {}", config.stateDir(), e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("agent control loop error", e);
            }
            if (stopped) {
                return;
            }
            // A lost stream counts as this address failing: the coordinator may have handed over to a standby.
            failedInCycle = established ? 1 : failedInCycle + 1;
            links.advance();
            if (failedInCycle < links.size()) {
                continue; // the next address at once: one of them may be the active coordinator
            }
            failedInCycle = 0;
            Duration d = backoff.delay(attempt++);
            log.info("reconnecting in {} ms", d.toMillis());
            synchronized (sleeper) {
                if (!stopped) {
                    try {
                        sleeper.wait(Math.max(1, d.toMillis()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private void register() throws IOException {
        String id = client.register(RegisterRequest.newBuilder()
                .setNodeId(nodeId.get())
                .setNodeName(config.nodeName())
                .addBaseModelSha256(config.baseModelSha256())
                .setNumExamples(config.numExamples())
                .setDevice(config.device())
                .setIdentityKey(ByteString.copyFrom(identity.publicKey().toBytes()))
                .build());
        nodeId.adopt(id);
        MDC.put("node", id);
    }

    /** Holds the Connect stream until it ends; true when it had been established. */
    private boolean runConnectStream(String target) throws InterruptedException {
        CompletableFuture<Status> ended = new CompletableFuture<>();
        AtomicBoolean established = new AtomicBoolean();
        lastEventNanos.set(System.nanoTime());
        client.connect(new ClientResponseObserver<ConnectRequest, AgentEvent>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ConnectRequest> s) {
                stream = s;
            }

            @Override
            public void onNext(AgentEvent e) {
                lastEventNanos.set(System.nanoTime());
                if (!connected) {
                    connected = true;
                    established.set(true);
                    log.info("connected to coordinator {} as node {}", target, nodeId.get());
                }
                events.accept(e);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.UNAVAILABLE.withDescription("coordinator ended the stream"));
            }
        });
        if (stopped) {
            stream.cancel("agent closing", null);
        }
        long timeoutNanos = config.heartbeatTimeout().toNanos();
        Status status;
        while (true) {
            try {
                status = ended.get(Math.max(10, config.heartbeatTimeout().toMillis() / 4), TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                if (System.nanoTime() - lastEventNanos.get() > timeoutNanos) {
                    log.warn("no heartbeat from the coordinator for {} s; reconnecting", config.heartbeatTimeout().toSeconds());
                    stream.cancel("heartbeat timeout", null);
                }
            } catch (ExecutionException e) {
                status = Status.fromThrowable(e.getCause());
                break;
            }
        }
        boolean wasConnected = connected;
        connected = false;
        if (!stopped) {
            log.warn("connection to coordinator lost{}: {}", wasConnected ? "" : " before it was established", status);
            onLost.run();
        }
        return established.get();
    }
}
