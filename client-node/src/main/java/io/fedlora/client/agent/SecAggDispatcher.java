package io.fedlora.client.agent;

import io.fedlora.crypto.secagg.ClientStage;
import io.fedlora.crypto.secagg.SecAggException;
import io.fedlora.proto.v1.CancelTask;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.TrainTask;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;

/**
 * The open secure rounds by job/round and the coordinator's messages about them: stage messages are
 * answered on one SecAgg thread (in order, off the stream's thread); a cancel or a lost stream ends a
 * round and wipes its secrets.
 */
final class SecAggDispatcher {

    private static final Logger log = AgentNode.LOG;

    private final CoordinatorClient client;
    private final RememberedRounds cancelled;
    private final Map<String, SecureSession> sessions = new ConcurrentHashMap<>();
    private final ExecutorService executor;

    SecAggDispatcher(AgentConfig config, CoordinatorClient client, RememberedRounds cancelled) {
        this.client = client;
        this.cancelled = cancelled;
        this.executor = Executors.newSingleThreadExecutor(r -> AgentNode.daemon(r, "agent-secagg-" + config.nodeName()));
    }

    ExecutorService executor() {
        return executor;
    }

    /** The task's round is open on this node from now on: its stage messages go to {@code session}. */
    void open(TrainTask t, SecureSession session) {
        sessions.put(Rounds.key(t), session);
    }

    /** Forgets the task's round without ending its session (the caller did, or the masked input is in). */
    void forget(TrainTask t) {
        sessions.remove(Rounds.key(t));
    }

    /** A secure round this node did not get its masked input into is over for it: drop its secrets. */
    void endIfUnmasked(TrainTask t) {
        sessions.computeIfPresent(Rounds.key(t), (k, s) -> {
            if (s.stage().ordinal() < ClientStage.MASKED.ordinal()) {
                s.end();
                return null;
            }
            return s;
        });
    }

    /** A stage message from the coordinator; handled on the SecAgg thread. */
    void onMessage(SecAggEnvelope e) {
        executor.execute(() -> handle(e));
    }

    void onCancel(CancelTask c) {
        String k = Rounds.key(c.getJobId(), c.getRound());
        cancelled.add(k);
        SecureSession s = sessions.remove(k);
        if (s != null) {
            s.end();
        }
        log.info("job {} round {} cancelled by the coordinator: {}", c.getJobId(), c.getRound(), c.getReason());
    }

    /**
     * The coordinator counts a node whose stream ended as dropped from every round it has not yet sent
     * its masked input to, and the stage messages sent meanwhile are gone: those rounds cannot complete
     * here. End them now, so the worker is not held in {@link SecureSession#mask} until the round's
     * deadline while the next round's task waits behind it.
     */
    void abandonUnmaskedRounds() {
        for (var e : sessions.entrySet()) {
            SecureSession s = e.getValue();
            if (s.stage().ordinal() < ClientStage.MASKED.ordinal() && sessions.remove(e.getKey(), s)) {
                cancelled.add(e.getKey());
                s.end();
                log.info("round {}: abandoned, the connection was lost before this node's masked input went in",
                        e.getKey());
            }
        }
    }

    private void handle(SecAggEnvelope e) {
        String k = Rounds.key(e.getJobId(), e.getRound());
        SecureSession s = sessions.get(k);
        if (s == null) {
            log.debug("secagg message for job {} round {}, which this node is not in; ignored", e.getJobId(), e.getRound());
            return;
        }
        try {
            var reply = s.onServerMessage(e.getMessage().toByteArray());
            if (reply.isPresent()) {
                client.sendSecAgg(e.getJobId(), e.getRound(), reply.get());
            }
            if (s.stage() == ClientStage.DONE) {
                sessions.remove(k);
                log.info("job {} round {}: unmasking shares sent; secure aggregation done on this side",
                        e.getJobId(), e.getRound());
            }
        } catch (SecAggException ex) {
            // The library names the stage and peers, never secret material.
            sessions.remove(k);
            s.end();
            log.warn("job {} round {}: leaving the secure round: {}", e.getJobId(), e.getRound(), ex.getMessage());
        } catch (StatusRuntimeException ex) {
            log.warn("job {} round {}: coordinator refused a secagg message: {}", e.getJobId(), e.getRound(),
                    ex.getStatus());
        }
    }
}
