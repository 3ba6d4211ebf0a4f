package io.fedlora.client.tls;

import io.fedlora.crypto.pki.TlsCredentials;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mutual-TLS channel to the coordinator whose client certificate can be replaced (an agent that
 * renews it). Calls made after {@link #replace} go over a new channel, which does a full handshake
 * with the new certificate (a channel kept open would resume its TLS session, and with it the old
 * certificate); calls in flight, such as the Connect stream, finish on the old channel, which is
 * shut down in order.
 */
public final class RenewableChannel extends ManagedChannel {

    private final String target;
    private final List<ManagedChannel> retired = new ArrayList<>();
    private volatile TlsCredentials credentials;
    private volatile ManagedChannel current;
    private volatile boolean shutdown;

    public RenewableChannel(String target, TlsCredentials credentials) {
        this.target = target;
        this.credentials = credentials;
        this.current = CoordinatorChannels.mutualTls(target, credentials);
    }

    /** The credentials new calls present. */
    public TlsCredentials credentials() {
        return credentials;
    }

    /** New calls present {@code renewed}; the previous channel takes no new calls and closes when its calls end. */
    public synchronized void replace(TlsCredentials renewed) {
        if (shutdown) {
            throw new IllegalStateException("channel is shut down");
        }
        ManagedChannel old = current;
        current = CoordinatorChannels.mutualTls(target, renewed);
        credentials = renewed;
        old.shutdown();
        retired.removeIf(ManagedChannel::isTerminated);
        retired.add(old);
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        return current.newCall(method, options);
    }

    @Override
    public String authority() {
        return current.authority();
    }

    @Override
    public synchronized ManagedChannel shutdown() {
        shutdown = true;
        current.shutdown();
        retired.forEach(ManagedChannel::shutdown);
        return this;
    }

    @Override
    public synchronized ManagedChannel shutdownNow() {
        shutdown = true;
        current.shutdownNow();
        retired.forEach(ManagedChannel::shutdownNow);
        return this;
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return current.isTerminated() && retired.stream().allMatch(ManagedChannel::isTerminated);
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        List<ManagedChannel> all;
        synchronized (this) {
            all = new ArrayList<>(retired);
            all.add(current);
        }
        for (ManagedChannel ch : all) {
            if (!ch.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public ConnectivityState getState(boolean requestConnection) {
        return current.getState(requestConnection);
    }

    @Override
    public void resetConnectBackoff() {
        current.resetConnectBackoff();
    }

    @Override
    public void enterIdle() {
        current.enterIdle();
    }

    @Override
    public String toString() {
        return "RenewableChannel[" + target + ", " + credentials + "]";
    }
}
