package io.fedlora.coordinator.limits;

import java.util.ArrayList;
import java.util.List;

/**
 * Bounds on what one client can make the coordinator do, so that a hostile or broken one can neither
 * starve the others nor grow the coordinator's state without end. A call over a bound is refused with
 * RESOURCE_EXHAUSTED naming the bound and when to retry. The defaults sit far above what an agent
 * (about ten calls a round) or an operator's tools need.
 *
 * @param callsPerSecond sustained calls per second per client with a certificate (keyed by its subject)
 * @param callBurst calls such a client may make at once after a quiet spell
 * @param anonymousCallsPerSecond sustained calls per second per peer address without a client
 *     certificate, which can only enroll
 * @param anonymousBurst calls at once per such address; above the enrollments of a site starting its nodes
 * @param streamsPerClient open streaming calls per client (Connect, FetchAdapter, SubmitUpdate,
 *     WatchJob, DownloadAdapter)
 * @param outstandingEnrollmentTokens enrollment tokens issued but neither used nor expired
 */
public record LoadLimits(double callsPerSecond, int callBurst, double anonymousCallsPerSecond, int anonymousBurst,
        int streamsPerClient, int outstandingEnrollmentTokens) {

    public static final double DEFAULT_CALLS_PER_SECOND = 100;
    public static final int DEFAULT_CALL_BURST = 200;
    public static final double DEFAULT_ANONYMOUS_CALLS_PER_SECOND = 1;
    public static final int DEFAULT_ANONYMOUS_BURST = 30;
    public static final int DEFAULT_STREAMS_PER_CLIENT = 16;
    public static final int DEFAULT_OUTSTANDING_ENROLLMENT_TOKENS = 1000;

    public LoadLimits {
        List<String> p = new ArrayList<>();
        if (!(callsPerSecond > 0) || Double.isInfinite(callsPerSecond)) {
            p.add("callsPerSecond: must be a positive number, got " + callsPerSecond);
        }
        if (callBurst < 1) {
            p.add("callBurst: must be >= 1, got " + callBurst);
        }
        if (!(anonymousCallsPerSecond > 0) || Double.isInfinite(anonymousCallsPerSecond)) {
            p.add("anonymousCallsPerSecond: must be a positive number, got " + anonymousCallsPerSecond);
        }
        if (anonymousBurst < 1) {
            p.add("anonymousBurst: must be >= 1, got " + anonymousBurst);
        }
        if (streamsPerClient < 1) {
            p.add("streamsPerClient: must be >= 1, got " + streamsPerClient);
        }
        if (outstandingEnrollmentTokens < 1) {
            p.add("outstandingEnrollmentTokens: must be >= 1, got " + outstandingEnrollmentTokens);
        }
        if (!p.isEmpty()) {
            throw new IllegalArgumentException("invalid load limits: " + String.join("; ", p));
        }
    }

    public static LoadLimits defaults() {
        return new LoadLimits(DEFAULT_CALLS_PER_SECOND, DEFAULT_CALL_BURST, DEFAULT_ANONYMOUS_CALLS_PER_SECOND,
                DEFAULT_ANONYMOUS_BURST, DEFAULT_STREAMS_PER_CLIENT, DEFAULT_OUTSTANDING_ENROLLMENT_TOKENS);
    }

    public LoadLimits withCallRate(double perSecond, int burst) {
        return new LoadLimits(perSecond, burst, anonymousCallsPerSecond, anonymousBurst, streamsPerClient,
                outstandingEnrollmentTokens);
    }

    public LoadLimits withAnonymousCallRate(double perSecond, int burst) {
        return new LoadLimits(callsPerSecond, callBurst, perSecond, burst, streamsPerClient, outstandingEnrollmentTokens);
    }

    public LoadLimits withStreamsPerClient(int n) {
        return new LoadLimits(callsPerSecond, callBurst, anonymousCallsPerSecond, anonymousBurst, n,
                outstandingEnrollmentTokens);
    }

    public LoadLimits withOutstandingEnrollmentTokens(int n) {
        return new LoadLimits(callsPerSecond, callBurst, anonymousCallsPerSecond, anonymousBurst, streamsPerClient, n);
    }
}
