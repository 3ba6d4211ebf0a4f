package io.fedlora.client.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What an agent needs to run. Build with {@link #builder}; every problem is reported at once.
 *
 * @param coordinatorTarget {@code host:port} of the coordinator, or several comma-separated: the active
 *     coordinator and its standbys, which the agent follows in turn (see {@link #coordinatorTargets()};
 *     used by {@link AgentNode#start(AgentConfig, io.fedlora.client.train.LocalTrainer)})
 * @param stateDir where the node id ({@code node-id}), identity key, TLS credentials ({@code tls/}) and
 *     cached adapters ({@code adapters/}) are kept
 * @param nodeName a human-readable name shown to operators
 * @param baseModelSha256 hex sha256 of the local base model's weights; tasks for another model are refused
 * @param numExamples size of the local data set, reported at registration
 * @param device "cpu" or "cuda", reported at registration
 * @param initialBackoff first reconnect delay; doubles per failed attempt, with jitter
 * @param maxBackoff cap on the reconnect delay
 * @param heartbeatTimeout a Connect stream silent this long is presumed dead and reopened
 * @param callTimeout deadline for unary calls and for each adapter download or upload
 * @param privacyBudget when set, the node keeps a privacy ledger in its state dir, contributes only
 *     under DP-SGD and declines tasks that would exceed this budget; null = no ledger
 * @param insecurePlaintext development only: also take plaintext rounds, sending the update in the
 *     clear; without it the node declines any round that is not securely aggregated
 * @param minSecureCohort the smallest SecAgg cohort this node's update may be summed in
 * @param encodedUpdateListener sees each encoded (not yet masked) update on this node, for
 *     end-to-end tests that check the coordinator's sum; nothing it gets leaves the node
 * @param enrollmentToken the one-time token to enrol with when {@code stateDir/tls} holds no
 *     certificate yet; unused (and may be spent) once enrolled
 * @param caCertificateFile the coordinator's CA certificate, needed to enrol (afterwards the copy in
 *     {@code stateDir/tls/ca.crt} is used)
 * @param insecureTransport development only: plaintext gRPC to a coordinator run with
 *     {@code --insecure-transport}; no certificate, no enrollment
 * @param renewal when the node renews its certificate (see {@link RenewalPolicy})
 * @param openTelemetry where the node's task spans go (each links to its round's span on the
 *     coordinator); {@code OpenTelemetry.noop()} when tracing is off
 * @param secAggThreads threads for the SecAgg+ key agreement and masking (from the common fork-join
 *     pool): every core by default, as an agent is alone in its process; 1 where many agents share a
 *     JVM (a benchmark), since their parallel streams would otherwise spin waiting on one shared pool
 */
public record AgentConfig(String coordinatorTarget, Path stateDir, String nodeName, String baseModelSha256,
        long numExamples, String device, Duration initialBackoff, Duration maxBackoff, Duration heartbeatTimeout,
        Duration callTimeout, io.fedlora.client.privacy.PrivacyBudget privacyBudget, boolean insecurePlaintext,
        int minSecureCohort, EncodedUpdateListener encodedUpdateListener,
        java.util.Optional<io.fedlora.client.tls.EnrollmentToken> enrollmentToken,
        java.util.Optional<Path> caCertificateFile, boolean insecureTransport, RenewalPolicy renewal,
        io.opentelemetry.api.OpenTelemetry openTelemetry, int secAggThreads) {

    /** Test hook: an encoded update before masking. */
    @FunctionalInterface
    public interface EncodedUpdateListener {
        void onEncoded(String jobId, int round, int[] encoded) throws java.io.IOException;
    }

    /** SecAgg+ needs at least three clients for a sum to hide each one's update. */
    public static final int DEFAULT_MIN_SECURE_COHORT = 3;

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    public AgentConfig {
        List<String> p = new ArrayList<>();
        if (coordinatorTarget == null || coordinatorTarget.isBlank()) {
            p.add("coordinatorTarget: required (host:port)");
        } else {
            CoordinatorTargets.parse(coordinatorTarget, p);
        }
        if (stateDir == null) {
            p.add("stateDir: required");
        }
        if (nodeName == null || nodeName.isBlank()) {
            p.add("nodeName: required");
        }
        if (baseModelSha256 == null || !SHA.matcher(baseModelSha256).matches()) {
            p.add("baseModelSha256: must be 64 lowercase hex characters");
        }
        if (numExamples < 0) {
            p.add("numExamples: must be >= 0, got " + numExamples);
        }
        if (device == null || device.isBlank()) {
            p.add("device: required");
        }
        if (!positive(initialBackoff)) {
            p.add("initialBackoff: must be positive");
        }
        if (!positive(maxBackoff) || (positive(initialBackoff) && maxBackoff.compareTo(initialBackoff) < 0)) {
            p.add("maxBackoff: must be positive and >= initialBackoff");
        }
        if (!positive(heartbeatTimeout)) {
            p.add("heartbeatTimeout: must be positive");
        }
        if (!positive(callTimeout)) {
            p.add("callTimeout: must be positive");
        }
        if (enrollmentToken == null || caCertificateFile == null) {
            p.add("enrollmentToken, caCertificateFile: use Optional.empty() when absent");
        }
        if (openTelemetry == null) {
            p.add("openTelemetry: required (OpenTelemetry.noop() for none)");
        }
        if (renewal == null) {
            p.add("renewal: required (RenewalPolicy.defaults())");
        }
        if (secAggThreads < 1) {
            p.add("secAggThreads: must be >= 1, got " + secAggThreads);
        }
        if (minSecureCohort < DEFAULT_MIN_SECURE_COHORT) {
            p.add("minSecureCohort: must be >= 3 (SecAgg+ needs at least 3 clients), got " + minSecureCohort);
        }
        if (!p.isEmpty()) {
            throw new IllegalArgumentException("invalid agent config: " + String.join("; ", p));
        }
    }

    /**
     * The coordinator addresses in {@link #coordinatorTarget()}, in the order given: the agent tries
     * them in turn and follows the one that answers (the active coordinator; standbys refuse).
     */
    public List<String> coordinatorTargets() {
        return CoordinatorTargets.parse(coordinatorTarget, new ArrayList<>());
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    public static Builder builder(String coordinatorTarget, Path stateDir, String nodeName, String baseModelSha256) {
        return new Builder(coordinatorTarget, stateDir, nodeName, baseModelSha256);
    }

    public static final class Builder {
        private final String target;
        private final Path stateDir;
        private final String nodeName;
        private final String model;
        private long numExamples;
        private String device = "cpu";
        private Duration initialBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private Duration heartbeatTimeout = Duration.ofSeconds(20);
        private Duration callTimeout = Duration.ofMinutes(2);
        private io.fedlora.client.privacy.PrivacyBudget privacyBudget;
        private boolean insecurePlaintext;
        private int minSecureCohort = DEFAULT_MIN_SECURE_COHORT;
        private EncodedUpdateListener encodedUpdateListener = (job, round, encoded) -> { };
        private java.util.Optional<io.fedlora.client.tls.EnrollmentToken> enrollmentToken = java.util.Optional.empty();
        private java.util.Optional<Path> caCertificateFile = java.util.Optional.empty();
        private boolean insecureTransport;
        private RenewalPolicy renewal = RenewalPolicy.defaults();
        private io.opentelemetry.api.OpenTelemetry openTelemetry = io.opentelemetry.api.OpenTelemetry.noop();
        private int secAggThreads = Runtime.getRuntime().availableProcessors();

        private Builder(String target, Path stateDir, String nodeName, String model) {
            this.target = target;
            this.stateDir = stateDir;
            this.nodeName = nodeName;
            this.model = model;
        }

        public Builder numExamples(long v) {
            numExamples = v;
            return this;
        }

        public Builder device(String v) {
            device = v;
            return this;
        }

        public Builder backoff(Duration initial, Duration max) {
            initialBackoff = initial;
            maxBackoff = max;
            return this;
        }

        public Builder heartbeatTimeout(Duration v) {
            heartbeatTimeout = v;
            return this;
        }

        public Builder callTimeout(Duration v) {
            callTimeout = v;
            return this;
        }

        public Builder privacyBudget(io.fedlora.client.privacy.PrivacyBudget v) {
            privacyBudget = v;
            return this;
        }

        /** Development only: take plaintext rounds too. */
        public Builder insecurePlaintext(boolean v) {
            insecurePlaintext = v;
            return this;
        }

        public Builder minSecureCohort(int v) {
            minSecureCohort = v;
            return this;
        }

        public Builder encodedUpdateListener(EncodedUpdateListener v) {
            encodedUpdateListener = v;
            return this;
        }

        /** Enrol with this token and CA certificate if the state dir holds no certificate yet. */
        public Builder enrollWith(io.fedlora.client.tls.EnrollmentToken token, Path caCertificate) {
            enrollmentToken = java.util.Optional.of(token);
            caCertificateFile = java.util.Optional.of(caCertificate);
            return this;
        }

        /** Development only: plaintext gRPC, no client certificate. */
        public Builder insecureTransport(boolean v) {
            insecureTransport = v;
            return this;
        }

        /** When to renew the node's certificate (default: with a third of its lifetime left, checked hourly). */
        public Builder renewal(RenewalPolicy v) {
            renewal = v;
            return this;
        }

        public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry v) {
            openTelemetry = v;
            return this;
        }

        /** Threads for SecAgg+ key agreement and masking (default: every core). */
        public Builder secAggThreads(int v) {
            secAggThreads = v;
            return this;
        }

        public AgentConfig build() {
            return new AgentConfig(target, stateDir, nodeName, model, numExamples, device, initialBackoff, maxBackoff,
                    heartbeatTimeout, callTimeout, privacyBudget, insecurePlaintext, minSecureCohort,
                    encodedUpdateListener, enrollmentToken, caCertificateFile, insecureTransport, renewal, openTelemetry,
                    secAggThreads);
        }
    }
}
