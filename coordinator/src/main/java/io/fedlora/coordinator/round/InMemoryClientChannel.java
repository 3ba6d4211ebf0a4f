package io.fedlora.coordinator.round;

import io.fedlora.proto.v1.AgentEvent;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A {@link ClientChannel} to a client living in the same JVM (simulations, tests). Events are
 * handed to the client on {@code executor}, so the round loop never runs client code itself;
 * with a single-threaded executor per client they arrive in order, as on a stream.
 */
public final class InMemoryClientChannel implements ClientChannel {

    private final Consumer<AgentEvent> client;
    private final Executor executor;
    private final AtomicBoolean open = new AtomicBoolean(true);

    public InMemoryClientChannel(Consumer<AgentEvent> client, Executor executor) {
        this.client = client;
        this.executor = executor;
    }

    @Override
    public boolean send(AgentEvent event) {
        if (!open.get()) {
            return false;
        }
        executor.execute(() -> client.accept(event));
        return true;
    }

    @Override
    public void close(String reason) {
        open.set(false);
    }

    public boolean isOpen() {
        return open.get();
    }
}
