package io.fedlora.deploy.cli;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.agent.RenewalPolicy;
import io.fedlora.client.data.JsonlExamples;
import io.fedlora.client.model.ComputeDevice;
import io.fedlora.client.privacy.PrivacyBudget;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.deploy.local.RecordingTrainer;
import io.fedlora.tracing.Tracing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a client node: trains on local data whenever the coordinator selects it. */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = "Run a client node. Training data stays on this machine; only updates are sent.")
public final class ClientCommand implements Callable<Integer> {

    @Option(names = "--coordinator", required = true, paramLabel = "HOST:PORT", description = "Coordinator address.")
    String coordinator;

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl",
            description = "Local training data, JSONL in instruction (instruction/input/output), chat (messages) "
                    + "or text form; see docs/training-data.md.")
    Path data;

    @Option(names = "--eval-data", paramLabel = "FILE.jsonl",
            description = "Held-out examples, never trained on, in the same forms as --data. Each round the node scores"
                    + " the adapter it starts from on them and sends the score; in a secure round it travels inside"
                    + " the masked vector, so the coordinator sees only the cohort's mean (default: none is sent).")
    Path evalData;

    @picocli.CommandLine.Mixin
    BaseQuantizationOption quantization = new BaseQuantizationOption();

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory (Hugging Face layout).")
    Path model;

    @Option(names = "--state-dir", required = true, paramLabel = "DIR",
            description = "Node id, identity key, TLS key and certificate (tls/, key mode 0600), adapter cache.")
    Path stateDir;

    @Option(names = "--name", description = "Node name shown to operators (default: host name).")
    String name;

    @Option(names = "--privacy-budget", paramLabel = "EPS_JOB[,EPS_ALL]", split = ",",
            description = "Keep a privacy ledger in --state-dir, contribute only under DP-SGD, and decline work that "
                    + "would exceed epsilon EPS_JOB per job (and EPS_ALL overall; default EPS_JOB).")
    List<Double> privacyBudget;

    @Option(names = "--privacy-delta", defaultValue = "1e-5", description = "Delta of the budget (default: ${DEFAULT-VALUE}).")
    double privacyDelta;

    @Option(names = "--record-updates", paramLabel = "DIR", hidden = true,
            description = "Testing only: keep a copy of each update on this machine.")
    Path recordUpdates;

    @Option(names = "--enroll-token", paramLabel = "TOKEN",
            description = "One-time token from 'fedlora admin enroll-token' (first start only; visible in ps: prefer"
                    + " --enroll-token-file).")
    String enrollToken;

    @Option(names = "--enroll-token-file", paramLabel = "FILE", description = "A file holding the enrollment token.")
    Path enrollTokenFile;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "The coordinator's CA certificate (its DATA_DIR/pki/ca.crt), to enrol; afterwards the copy in"
                    + " STATE_DIR/tls is used.")
    Path caCert;

    @Option(names = "--insecure-transport",
            description = "DEVELOPMENT ONLY: plaintext gRPC to a coordinator started with --insecure-transport.")
    boolean insecureTransport;

    @Option(names = "--insecure-plaintext",
            description = "DEVELOPMENT ONLY: also take rounds without secure aggregation, sending this node's update in the clear.")
    boolean insecurePlaintext;

    @Option(names = "--min-secure-cohort", defaultValue = "3",
            description = "Contribute only to secure rounds of at least this many clients (default: ${DEFAULT-VALUE}).")
    int minSecureCohort;

    @Option(names = "--renew-before", defaultValue = "33%", paramLabel = "PERCENT|DURATION",
            description = "Renew this node's certificate once less than this is left: a share of its lifetime (33%%)"
                + " or a time (30d, 12h); checked at start and hourly (default: ${DEFAULT-VALUE}).")
    String renewBefore;

    /** {@code 33%} (of the certificate's lifetime) or a duration such as {@code 30d}. */
    static RenewalPolicy renewalPolicy(String s) {
        String v = s.strip();
        Duration hourly = RenewalPolicy.defaults().checkInterval();
        if (v.endsWith("%")) {
            double pct;
            try {
                pct = Double.parseDouble(v.substring(0, v.length() - 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--renew-before: a percentage such as 33% or a time such as 30d,"
                        + " got '" + s + "'");
            }
            return new RenewalPolicy(pct / 100, Duration.ZERO, hourly);
        }
        return new RenewalPolicy(0, TrustCommands.parseTtl(v), hourly);
    }

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = "Send OpenTelemetry traces (a span per task, linked to the coordinator's round span, with a"
                    + " child per fetch, train and upload) to this OTLP/HTTP collector, e.g. http://collector:4318"
                    + " (default: no traces are sent).")
    java.net.URI otlpEndpoint;

    private PrivacyBudget budget() {
        if (privacyBudget == null || privacyBudget.isEmpty()) {
            return null;
        }
        if (privacyBudget.size() > 2) {
            throw new IllegalArgumentException("--privacy-budget takes EPS_JOB or EPS_JOB,EPS_ALL");
        }
        return new PrivacyBudget(privacyBudget.get(0), privacyBudget.get(privacyBudget.size() - 1), privacyDelta);
    }

    @Override
    public Integer call() throws Exception {
        String sha = CheckpointFiles.sha256(model);
        var examples = JsonlExamples.read(data);
        String nodeName = name != null ? name : java.net.InetAddress.getLocalHost().getHostName();
        var heldOut = evalData == null ? java.util.List.<io.fedlora.client.data.TrainingExample>of()
                : JsonlExamples.read(evalData).examples();
        LocalTrainer trainer = new DjlLoraTrainer(model, examples, quantization.value).withHeldOut(heldOut);
        if (recordUpdates != null) {
            trainer = new RecordingTrainer(trainer, recordUpdates);
        }
        AgentConfig.Builder builder = AgentConfig.builder(coordinator, stateDir, nodeName, sha)
                .numExamples(examples.size()).device(ComputeDevice.selected().isGpu() ? "cuda" : "cpu")
                .privacyBudget(budget())
                .insecurePlaintext(insecurePlaintext).minSecureCohort(minSecureCohort)
                .insecureTransport(insecureTransport).renewal(renewalPolicy(renewBefore));
        Tracing tracing = Tracing.of("fedlora-agent", java.util.Optional.ofNullable(otlpEndpoint));
        builder.openTelemetry(tracing.openTelemetry());
        if (enrollToken != null || enrollTokenFile != null) {
            if (enrollToken != null && enrollTokenFile != null) {
                throw new IllegalArgumentException("give --enroll-token or --enroll-token-file, not both");
            }
            if (caCert == null) {
                throw new IllegalArgumentException("enrolling needs --ca-cert (the coordinator's DATA_DIR/pki/ca.crt)");
            }
            builder.enrollWith(enrollToken != null ? EnrollmentToken.of(enrollToken)
                    : EnrollmentToken.readFrom(enrollTokenFile), caCert);
        }
        if (recordUpdates != null) {
            builder.encodedUpdateListener(RecordingTrainer.encodedRecorder(recordUpdates));
        }
        AgentConfig config = builder.build();
        LocalTrainer owned = trainer;
        AgentNode node = AgentNode.start(config, owned);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                owned.close();
                tracing.close(); // sends the spans still batched
            } catch (Exception e) {
                System.err.println("client: shutdown: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "client-shutdown"));
        System.out.println("client " + nodeName + " started: " + examples.size() + " examples"
                + (heldOut.isEmpty() ? "" : ", " + heldOut.size() + " held out") + ", model " + sha.substring(0, 12));
        System.out.flush();
        stopped.await();
        return 0;
    }
}
