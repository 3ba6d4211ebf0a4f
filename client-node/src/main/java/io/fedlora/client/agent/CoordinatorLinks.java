package io.fedlora.client.agent;

import io.fedlora.proto.v1.AgentServiceGrpc;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * One channel per coordinator address (the active coordinator and its standbys) and which of them the
 * agent follows now. Only the connection loop moves to another; every call goes to the current one.
 */
final class CoordinatorLinks {

    private static final Logger log = AgentNode.LOG;

    record Link(String target, Channel channel, AgentServiceGrpc.AgentServiceBlockingStub blocking,
            AgentServiceGrpc.AgentServiceStub async) {

        Link(String target, Channel channel) {
            this(target, channel, AgentServiceGrpc.newBlockingStub(channel), AgentServiceGrpc.newStub(channel));
        }

        /** Our own backoff paces reconnection; the channel's must not add a second delay on top. */
        void resetConnectBackoff() {
            if (channel instanceof ManagedChannel mc) {
                mc.resetConnectBackoff();
            }
        }
    }

    private final List<Link> links;
    private final boolean owned;
    private volatile int current;

    private CoordinatorLinks(List<Link> links, boolean owned) {
        if (links.isEmpty()) {
            throw new IllegalArgumentException("no coordinator address");
        }
        this.links = List.copyOf(links);
        this.owned = owned;
    }

    /** Channels the links close ({@link #shutdown}). */
    static CoordinatorLinks owning(List<String> targets, List<? extends ManagedChannel> channels) {
        return new CoordinatorLinks(zip(targets, channels), true);
    }

    /** Channels their maker closes. */
    static CoordinatorLinks borrowing(List<String> targets, Function<String, ? extends Channel> channelFor) {
        return new CoordinatorLinks(targets.stream().map(t -> new Link(t, channelFor.apply(t))).toList(), false);
    }

    /**
     * Opens one channel per target; when one cannot be opened, those already open are shut down and
     * the failure goes to the caller.
     */
    static <C extends ManagedChannel> List<C> openAll(List<String> targets, Function<String, C> open) {
        List<C> opened = new ArrayList<>();
        try {
            for (String t : targets) {
                opened.add(open.apply(t));
            }
            return opened;
        } catch (RuntimeException e) {
            opened.forEach(ManagedChannel::shutdownNow);
            throw e;
        }
    }

    private static List<Link> zip(List<String> targets, List<? extends Channel> channels) {
        List<Link> l = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            l.add(new Link(targets.get(i), channels.get(i)));
        }
        return l;
    }

    Link current() {
        return links.get(current);
    }

    /** Every channel, the current one first, then the others in the order they are followed. */
    List<Channel> inTurn() {
        int from = current;
        List<Channel> l = new ArrayList<>();
        for (int i = 0; i < links.size(); i++) {
            l.add(links.get((from + i) % links.size()).channel());
        }
        return l;
    }

    int size() {
        return links.size();
    }

    /** Moves to the next address, in order and round again; the same one when there is only one. */
    void advance() {
        if (links.size() > 1) {
            current = (current + 1) % links.size();
            log.info("following coordinator {}", current().target());
        }
    }

    /** Shuts owned channels down in order, each awaited within what is left of the budget, then forcibly. */
    void shutdown(ShutdownBudget budget) throws InterruptedException {
        if (!owned) {
            return;
        }
        for (Link l : links) {
            ((ManagedChannel) l.channel()).shutdown();
        }
        for (Link l : links) {
            ManagedChannel ch = (ManagedChannel) l.channel();
            if (!ch.awaitTermination(budget.remainingNanos(), TimeUnit.NANOSECONDS)) {
                ch.shutdownNow();
                budget.late("the channel to " + l.target());
            }
        }
    }

    /** Shuts owned channels down without waiting (close was interrupted). */
    void shutdownNow() {
        if (owned) {
            links.forEach(l -> ((ManagedChannel) l.channel()).shutdownNow());
        }
    }
}
