package io.fedlora.deploy.cli;

import static io.fedlora.config.ValueType.BOOLEAN;
import static io.fedlora.config.ValueType.DECIMAL;
import static io.fedlora.config.ValueType.INTEGER;
import static io.fedlora.config.ValueType.PATH;
import static io.fedlora.config.ValueType.STRING;
import static io.fedlora.config.ValueType.URL;

import io.fedlora.config.ConfigDef;
import io.fedlora.config.Setting;
import io.fedlora.config.ValueType;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.RenewalPolicy;
import io.fedlora.client.model.BaseQuantization;
import io.fedlora.client.tls.EnrollmentToken;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every setting of {@code fedlora client} (the agent), declared once: its flag, its environment variable
 * and its row in docs/configuration.md follow from here.
 */
public final class AgentSettings {

    private static final ValueType<BaseQuantization> QUANTIZATION = new ValueType<>("none|nf4",
            BaseQuantization::parse, BaseQuantization::label);
    private static final ValueType<RenewalPolicy> RENEWAL = new ValueType<>("PERCENT|DURATION",
            AgentSettings::renewalPolicy, p -> p.remainingFraction() > 0
                    ? Math.round(p.remainingFraction() * 100) + "%" : p.remainingAtMost().toString());
    private static final ValueType<EnrollmentToken> TOKEN = new ValueType<>("token", EnrollmentToken::of,
            t -> "(secret)");

    public static final Setting<String> COORDINATOR = Setting.define("coordinator", STRING).required()
            .paramLabel("HOST:PORT[,HOST:PORT...]")
            .doc("Coordinator address. With standby coordinators, every coordinator's address, comma-separated"
                    + " (host1:7070,host2:7070): the node follows the one that answers.").build();
    public static final Setting<Path> DATA = Setting.define("data", PATH).required().paramLabel("FILE.jsonl")
            .doc("Local training data, JSONL in instruction (instruction/input/output), chat (messages) or text form;"
                    + " see docs/training-data.md.").build();
    public static final Setting<Path> EVAL_DATA = Setting.define("eval-data", PATH).paramLabel("FILE.jsonl")
            .defaultText("none is sent")
            .doc("Held-out examples, never trained on, in the same forms as --data. Each round the node scores the"
                    + " adapter it starts from on them and sends the score; in a secure round it travels inside the"
                    + " masked vector, so the coordinator sees only the cohort's mean.").build();
    public static final Setting<BaseQuantization> BASE_QUANTIZATION = Setting.define("base-quantization", QUANTIZATION)
            .defaultValue(BaseQuantization.NONE).paramLabel("none|nf4").doc(BaseQuantizationOption.DOC).build();
    public static final Setting<Path> MODEL = Setting.define("model", PATH).required().paramLabel("DIR")
            .doc("Base model directory (Hugging Face layout).").build();
    public static final Setting<Path> STATE_DIR = Setting.define("state-dir", PATH).required().paramLabel("DIR")
            .doc("Node id, identity key, TLS key and certificate (tls/, key mode 0600), adapter cache.").build();
    public static final Setting<String> NAME = Setting.define("name", STRING).paramLabel("NAME")
            .defaultText("this host's name").doc("Node name shown to operators.").build();
    public static final Setting<List<Double>> PRIVACY_BUDGET = Setting.define("privacy.budget",
            ValueType.list(DECIMAL)).flag("--privacy-budget").paramLabel("EPS_JOB[,EPS_ALL]")
            .defaultText("no ledger").check(b -> b.size() >= 1 && b.size() <= 2, "takes EPS_JOB or EPS_JOB,EPS_ALL")
            .doc("Keep a privacy ledger in --state-dir, contribute only under DP-SGD, and decline work that would"
                    + " exceed epsilon EPS_JOB per job (and EPS_ALL overall; default EPS_JOB).").build();
    public static final Setting<Double> PRIVACY_DELTA = Setting.define("privacy.delta", DECIMAL)
            .flag("--privacy-delta").defaultValue(1e-5).paramLabel("DELTA")
            .check(d -> d > 0 && d < 1, "must be in (0, 1)").doc("Delta of the privacy budget.").build();
    public static final Setting<Path> RECORD_UPDATES = Setting.define("record-updates", PATH).hidden()
            .paramLabel("DIR").doc("Testing only: keep a copy of each update on this machine.").build();
    public static final Setting<EnrollmentToken> ENROLL_TOKEN = Setting.define("enroll-token", TOKEN).secret()
            .flag("--enroll-token").paramLabel("TOKEN")
            .doc("One-time token from 'fedlora admin enroll-token' (first start only). As a flag it is visible in"
                    + " ps: prefer --enroll-token-file or FEDLORA_ENROLL_TOKEN.").build();
    public static final Setting<Path> ENROLL_TOKEN_FILE = Setting.define("enroll-token-file", PATH)
            .paramLabel("FILE").doc("A file holding the enrollment token.").build();
    public static final Setting<Path> CA_CERT = Setting.define("ca-cert", PATH).paramLabel("FILE")
            .doc("The coordinator's CA certificate (its DATA_DIR/pki/ca.crt), to enrol; afterwards the copy in"
                    + " STATE_DIR/tls is used.").build();
    public static final Setting<Boolean> INSECURE_TRANSPORT = Setting.define("insecure-transport", BOOLEAN)
            .defaultValue(false).bareFlag("true")
            .doc("DEVELOPMENT ONLY: plaintext gRPC to a coordinator started with --insecure-transport.").build();
    public static final Setting<Boolean> INSECURE_PLAINTEXT = Setting.define("insecure-plaintext", BOOLEAN)
            .defaultValue(false).bareFlag("true")
            .doc("DEVELOPMENT ONLY: also take rounds without secure aggregation, sending this node's update in the"
                    + " clear.").build();
    public static final Setting<Boolean> PACK = Setting.define("pack", BOOLEAN)
            .defaultValue(false).bareFlag("true")
            .doc("Pack several short examples into each row of a training batch (attention and positions stay per"
                    + " example; same gradient, less padding). Non-private rounds only: DP-SGD never packs.").build();
    public static final Setting<Boolean> CHECKPOINT_LAYERS = Setting.define("checkpoint-layers", BOOLEAN)
            .defaultValue(false).bareFlag("true")
            .doc("Recompute each decoder layer during backward instead of keeping its activations: less training"
                    + " memory (docs/benchmarks.md), about one more forward pass of time; same gradient.").build();
    public static final Setting<Integer> MIN_SECURE_COHORT = Setting.define("min-secure-cohort", INTEGER)
            .defaultValue(AgentConfig.DEFAULT_MIN_SECURE_COHORT).paramLabel("N")
            .check(n -> n >= 3, "must be at least 3 (SecAgg+ needs 3 clients)")
            .doc("Contribute only to secure rounds of at least this many clients.").build();
    public static final Setting<RenewalPolicy> RENEW_BEFORE = Setting.define("renew-before", RENEWAL)
            .defaultValue(RenewalPolicy.defaults()).paramLabel("PERCENT|DURATION")
            .doc("Renew this node's certificate once less than this is left: a share of its lifetime (33%) or a time"
                    + " (30d, 12h); checked at start and hourly.").build();
    public static final Setting<URI> OTLP_ENDPOINT = Setting.define("otlp.endpoint", URL).paramLabel("URL")
            .defaultText("no traces are sent")
            .doc("Send OpenTelemetry traces (a span per task, linked to the coordinator's round span, with a child per"
                    + " fetch, train and upload) to this OTLP/HTTP collector, e.g. http://collector:4318.").build();

    public static final ConfigDef DEF = ConfigDef.of("fedlora client")
            .add(COORDINATOR, DATA, EVAL_DATA, BASE_QUANTIZATION, PACK, CHECKPOINT_LAYERS, MODEL, STATE_DIR, NAME,
                    PRIVACY_BUDGET,
                    PRIVACY_DELTA, RECORD_UPDATES, ENROLL_TOKEN, ENROLL_TOKEN_FILE, CA_CERT, INSECURE_TRANSPORT,
                    INSECURE_PLAINTEXT, MIN_SECURE_COHORT, RENEW_BEFORE, OTLP_ENDPOINT)
            .rule(v -> v.isSet(ENROLL_TOKEN) && v.isSet(ENROLL_TOKEN_FILE)
                    ? Optional.of("give --enroll-token or --enroll-token-file, not both") : Optional.empty())
            .rule(v -> (v.isSet(ENROLL_TOKEN) || v.isSet(ENROLL_TOKEN_FILE)) && !v.isSet(CA_CERT)
                    ? Optional.of("enrolling needs --ca-cert (the coordinator's DATA_DIR/pki/ca.crt)")
                    : Optional.empty())
            .build();

    private AgentSettings() {
    }

    /** {@code 33%} (of the certificate's lifetime) or a duration such as {@code 30d}. */
    static RenewalPolicy renewalPolicy(String s) {
        String v = s.strip();
        Duration hourly = RenewalPolicy.defaults().checkInterval();
        if (v.endsWith("%")) {
            double pct;
            try {
                pct = Double.parseDouble(v.substring(0, v.length() - 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a percentage such as 33% or a time such as 30d");
            }
            return new RenewalPolicy(pct / 100, Duration.ZERO, hourly);
        }
        Duration before;
        try {
            before = TrustCommands.parseTtl(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be a percentage such as 33% or a time such as 30d");
        }
        return new RenewalPolicy(0, before, hourly);
    }
}
