package io.fedlora.coordinator.round;

import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.proto.v1.AgentEvent;
import java.util.List;

/** What the round loop needs from the network: who is connected now, and a way to push to them. */
public interface CohortTransport {

    /** Connection changes, delivered on the thread that caused them; must not block. */
    interface Listener {
        void onConnected(String nodeId);

        void onDisconnected(String nodeId);
    }

    /** The nodes connected at this moment, with their registrations. */
    List<NodeRecord> connectedNodes();

    boolean isConnected(String nodeId);

    /** Pushes an event; false when the node is not connected or its channel broke (it is then dropped). */
    boolean send(String nodeId, AgentEvent event);

    void setListener(Listener listener);
}
