package io.fedlora.coordinator.limits;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits the rate of calls per client with a token bucket each: certified clients by certificate
 * subject, callers without a certificate (enrollment) by IP address, with a stricter rate. A call
 * over the rate is closed with RESOURCE_EXHAUSTED before anything else runs (no authorisation work,
 * no audit entry, so a flood cannot grow the audit log), saying which limit and when to retry; the
 * same hint goes in gRPC's {@code grpc-retry-pushback-ms} trailer.
 */
public final class CallRateLimiter implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(CallRateLimiter.class);

    static final Metadata.Key<String> RETRY_PUSHBACK_MS = Metadata.Key.of("grpc-retry-pushback-ms",
            Metadata.ASCII_STRING_MARSHALLER);
    /** Above this many buckets, full (idle) ones are forgotten: a full bucket is the same as none. */
    static final int MAX_TRACKED_CLIENTS = 10_000;
    private static final long SWEEP_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Refusals are logged at most this often per client, so that a flood does not flood the log too. */
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** A client's bucket, and when a refusal of its calls was last logged. */
    private record Tracked(TokenBucket bucket, AtomicLong warnedAt) {}

    private final LoadLimits limits;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Tracked> clients = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep;
    /** When a refusal for want of room to track one more client was last logged. */
    private final AtomicLong overflowWarnedAt;

    /** @param nanoTime a monotonic clock: {@code System::nanoTime}, or a test's */
    public CallRateLimiter(LoadLimits limits, LongSupplier nanoTime) {
        this.limits = limits;
        this.nanoTime = nanoTime;
        this.lastSweep = new AtomicLong(nanoTime.getAsLong());
        this.overflowWarnedAt = new AtomicLong(nanoTime.getAsLong() - WARN_EVERY_NANOS);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        ClientKey key = ClientKey.of(call);
        Tracked t = track(key);
        long waitNanos = t == null ? TimeUnit.SECONDS.toNanos(1) : t.bucket().tryTake();
        if (waitNanos == 0) {
            return next.startCall(call, headers);
        }
        long retryMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos + 999_999));
        String what = t == null ? "too many clients are calling at once" : String.format(
                "more than %s calls/s (bursts of %d) from this %s", number(rate(key)), burst(key),
                key.certified() ? "client" : "address without a client certificate");
        if (due(t == null ? overflowWarnedAt : t.warnedAt())) {
            log.warn("rate limit: refusing calls from {} with RESOURCE_EXHAUSTED: {} (logged once a minute at most)",
                    key.describe(), what);
        }
        Metadata trailers = new Metadata();
        trailers.put(RETRY_PUSHBACK_MS, Long.toString(retryMs));
        call.close(Status.RESOURCE_EXHAUSTED.withDescription("rate limit: " + what + "; retry in " + retryMs + " ms"),
                trailers);
        return new ServerCall.Listener<>() {};
    }

    /** The client's bucket; null when too many clients are busy at once to track one more. */
    private Tracked track(ClientKey key) {
        Tracked t = clients.get(key.value());
        if (t != null) {
            return t;
        }
        if (clients.size() >= MAX_TRACKED_CLIENTS) {
            sweep();
            if (clients.size() >= MAX_TRACKED_CLIENTS) {
                return null;
            }
        }
        return clients.computeIfAbsent(key.value(), k -> new Tracked(new TokenBucket(burst(key), rate(key), nanoTime),
                new AtomicLong(nanoTime.getAsLong() - WARN_EVERY_NANOS)));
    }

    /** Whether a warning is due now (and, if so, that it is being given). */
    private boolean due(AtomicLong warnedAt) {
        long now = nanoTime.getAsLong();
        long last = warnedAt.get();
        return now - last >= WARN_EVERY_NANOS && warnedAt.compareAndSet(last, now);
    }

    /** Forgets idle clients, at most once a second so that a flood of new addresses cannot make every call sweep. */
    private void sweep() {
        long now = nanoTime.getAsLong();
        long last = lastSweep.get();
        if (now - last >= SWEEP_EVERY_NANOS && lastSweep.compareAndSet(last, now)) {
            clients.values().removeIf(t -> t.bucket().isFull());
        }
    }

    /** How many clients have a bucket now (for tests: idle ones are forgotten). */
    int trackedClients() {
        return clients.size();
    }

    private double rate(ClientKey key) {
        return key.certified() ? limits.callsPerSecond() : limits.anonymousCallsPerSecond();
    }

    private int burst(ClientKey key) {
        return key.certified() ? limits.callBurst() : limits.anonymousBurst();
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
