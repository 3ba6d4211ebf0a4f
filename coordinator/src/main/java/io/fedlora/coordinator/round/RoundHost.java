package io.fedlora.coordinator.round;

import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.JobConfig;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * What a round driver ({@link SecureStages}, {@link PlaintextCollection}) needs from the {@link JobRun}
 * it works for: the job's store and listeners, the run's lock and halt state, and its nodes. How a
 * round ends is recorded through the run's {@link RoundLedger}. Called on the run's loop thread.
 */
interface RoundHost {

    /** Why the loop was told to end early. */
    enum Halt { NONE, SHUTDOWN, CANCEL }

    String jobId();

    JobConfig config();

    InstantSource clock();

    Store store();

    JobEvents events();

    /** The run's lock: guards the active round (its {@link SecureRound} included) and the halt state. */
    ReentrantLock lock();

    /**
     * Waits one tick at most, or until {@code done} holds, or until {@code deadline} (when given)
     * passes. Returns false when halted. {@code done} is evaluated under the lock.
     */
    boolean awaitUntil(BooleanSupplier done, Instant deadline);

    Halt currentHalt();

    default boolean isHalted() {
        return currentHalt() != Halt.NONE;
    }

    /**
     * With the lock held: no update, drop or SecAgg message reaches the active round any more.
     * Returns why the loop was told to halt, read in the same critical section.
     */
    Halt endRound();

    /** Pushes an event to a node; one that cannot be reached counts as dropped. */
    void sendOrDrop(String nodeId, AgentEvent event);
}
