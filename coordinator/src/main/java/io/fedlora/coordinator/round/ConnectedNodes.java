package io.fedlora.coordinator.round;

import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.Heartbeat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CohortTransport} over whatever {@link ClientChannel}s are attached: gRPC Connect
 * streams, in-memory simulated clients, or both. At most one channel per node: a reconnecting
 * node's new channel replaces (and closes) its old one.
 */
public final class ConnectedNodes implements CohortTransport {

    private static final Logger log = LoggerFactory.getLogger(ConnectedNodes.class);

    private record Entry(NodeRecord node, ClientChannel channel) {}

    private final Map<String, Entry> byId = new ConcurrentHashMap<>();
    private volatile Listener listener = new Listener() {
        @Override
        public void onConnected(String nodeId) {}

        @Override
        public void onDisconnected(String nodeId) {}
    };

    @Override
    public void setListener(Listener listener) {
        this.listener = listener;
    }

    /** Makes {@code node} reachable through {@code channel}. */
    public void attach(NodeRecord node, ClientChannel channel) {
        Entry old = byId.put(node.nodeId(), new Entry(node, channel));
        if (old != null && old.channel() != channel) {
            old.channel().close("replaced by a newer connection");
        }
        log.info("node {} ({}) connected", node.nodeId(), node.nodeName());
        listener.onConnected(node.nodeId());
    }

    /** Forgets {@code channel} if it is still the node's current one (a stale close is ignored). */
    public void detach(String nodeId, ClientChannel channel) {
        Entry e = byId.get(nodeId);
        if (e != null && e.channel() == channel && byId.remove(nodeId, e)) {
            log.info("node {} disconnected", nodeId);
            listener.onDisconnected(nodeId);
        }
    }

    @Override
    public List<NodeRecord> connectedNodes() {
        List<NodeRecord> out = new ArrayList<>();
        for (Entry e : byId.values()) {
            out.add(e.node());
        }
        return out;
    }

    @Override
    public boolean isConnected(String nodeId) {
        return byId.containsKey(nodeId);
    }

    @Override
    public boolean send(String nodeId, AgentEvent event) {
        Entry e = byId.get(nodeId);
        if (e == null) {
            return false;
        }
        if (!e.channel().send(event)) {
            detach(nodeId, e.channel());
            return false;
        }
        return true;
    }

    /** Sends a heartbeat to every node; a channel that fails is detached. */
    public void heartbeat(long serverTimeMs) {
        AgentEvent hb = AgentEvent.newBuilder().setHeartbeat(Heartbeat.newBuilder().setServerTimeMs(serverTimeMs)).build();
        for (String id : List.copyOf(byId.keySet())) {
            send(id, hb);
        }
    }

    /** Closes every channel (shutdown): nodes see their stream end and reconnect elsewhere or later. */
    public void closeAll(String reason) {
        for (String id : List.copyOf(byId.keySet())) {
            Entry e = byId.remove(id);
            if (e != null) {
                e.channel().close(reason);
                listener.onDisconnected(id);
            }
        }
    }
}
