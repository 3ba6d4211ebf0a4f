package io.fedlora.coordinator.round;

import io.fedlora.proto.v1.AgentEvent;

/**
 * The coordinator's push channel to one connected node: a gRPC Connect stream in production, an
 * in-process callback in simulations. Replies (fetches, updates) do not come back through here:
 * they arrive as calls into {@link RoundScheduler}, so both transports share one validation path.
 */
public interface ClientChannel {

    /** Delivers an event without blocking on the node; false when the channel is broken. */
    boolean send(AgentEvent event);

    /** Ends the channel from the coordinator's side (shutdown, or replaced by a newer connection). */
    void close(String reason);
}
