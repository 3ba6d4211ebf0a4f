package io.fedlora.coordinator.round;

import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.Heartbeat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
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

    /** Nodes that may not take part (revoked): never attached, never offered to a round. */
    private volatile Predicate<String> barred = id -> false;

    @Override
    public void setListener(Listener listener) {
        this.listener = listener;
    }

    public void setBarred(Predicate<String> barred) {
        this.barred = barred;
    }

    /** Makes {@code node} reachable through {@code channel}, unless it is barred. */
    public void attach(NodeRecord node, ClientChannel channel) {
        if (barred.test(node.nodeId())) {
            channel.close("node " + node.nodeId() + " may not take part (revoked)");
            return;
        }
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
            if (!barred.test(e.node().nodeId())) {
                out.add(e.node());
            }
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

    /** Closes the node's channel (revocation); true when it was connected. Its rounds count it as dropped. */
    public boolean drop(String nodeId, String reason) {
        Entry e = byId.remove(nodeId);
        if (e == null) {
            return false;
        }
        e.channel().close(reason);
        log.info("node {} dropped: {}", nodeId, reason);
        listener.onDisconnected(nodeId);
        return true;
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
