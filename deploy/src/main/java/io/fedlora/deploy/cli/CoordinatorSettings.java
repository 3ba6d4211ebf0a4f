package io.fedlora.deploy.cli;

import static io.fedlora.config.ValueType.BOOLEAN;
import static io.fedlora.config.ValueType.DECIMAL;
import static io.fedlora.config.ValueType.INTEGER;
import static io.fedlora.config.ValueType.PATH;
import static io.fedlora.config.ValueType.STRING;
import static io.fedlora.config.ValueType.STRINGS;
import static io.fedlora.config.ValueType.URL;

import io.fedlora.config.ConfigDef;
import io.fedlora.config.Setting;
import io.fedlora.config.ValueType;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.ha.StandbySettings;
import io.fedlora.coordinator.limits.LoadLimits;
import io.fedlora.coordinator.trust.TlsSettings;
import io.fedlora.coordinator.web.DashboardSettings;
import io.fedlora.crypto.SecretBytes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every setting of {@code fedlora coordinator}, declared once: its flag, its environment variable and its
 * row in docs/configuration.md follow from here.
 */
public final class CoordinatorSettings {

    /** A crash-test pause at a round's aggregate or publish point. */
    public record FaultHold(String point, Duration hold) {
    }

    static final ValueType<SecretBytes> PASSWORD = new ValueType<>("secret",
            s -> SecretBytes.copyOf(s.getBytes(StandardCharsets.UTF_8)), s -> "(secret)");
    private static final ValueType<FaultHold> FAULT_HOLD = ValueType.of("POINT=MILLIS", s -> {
        int eq = s.indexOf('=');
        try {
            return new FaultHold(s.substring(0, Math.max(eq, 0)),
                    Duration.ofMillis(Long.parseLong(s.substring(eq + 1))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be POINT=MILLIS, e.g. aggregate=1500");
        }
    });

    public static final Setting<Path> DATA_DIR = Setting.define("data-dir", PATH).required().paramLabel("DIR")
            .doc("State directory: the CA (pki/) and, unless --store and --blobs say otherwise, the H2 database and"
                    + " adapter blobs.").build();
    public static final Setting<String> STORE_URL = Setting.define("store.url", STRING).flag("--store")
            .paramLabel("JDBC_URL").defaultText("the embedded H2 file in --data-dir")
            .doc("The store's database, e.g. jdbc:postgresql://db.example:5432/fedlora. Never put the password in the"
                    + " URL: use --store-password-file or FEDLORA_STORE_PASSWORD.").build();
    public static final Setting<String> STORE_USER = Setting.define("store.user", STRING).defaultValue("")
            .paramLabel("NAME").defaultText("none").doc("The database user for --store.").build();
    public static final Setting<SecretBytes> STORE_PASSWORD = Setting.define("store.password", PASSWORD).secret()
            .doc("The database password for --store; from the environment or the --config file only, never a flag.")
            .build();
    public static final Setting<Path> STORE_PASSWORD_FILE = Setting.define("store.password-file", PATH)
            .paramLabel("FILE").doc("A file holding the database password for --store (one line).").build();
    public static final Setting<String> BLOBS = Setting.define("blobs", STRING).paramLabel("DIR|s3://BUCKET/PREFIX")
            .defaultText("DATA_DIR/blobs")
            .doc("Where adapter versions are kept: a directory, or an S3-compatible bucket shared by several"
                    + " coordinator hosts. S3 credentials come from the environment (AWS_ACCESS_KEY_ID,"
                    + " AWS_SECRET_ACCESS_KEY) or --s3-credentials-file.").build();
    public static final Setting<URI> S3_ENDPOINT = Setting.define("s3.endpoint", URL).paramLabel("URL")
            .defaultText("AWS S3").doc("The S3-compatible server for --blobs s3://... (MinIO, Ceph, ...).").build();
    public static final Setting<String> S3_REGION = Setting.define("s3.region", STRING).paramLabel("REGION")
            .defaultValue("us-east-1").fallbackEnv("AWS_REGION")
            .doc("The bucket's region; AWS_REGION is read when FEDLORA_S3_REGION is unset.").build();
    public static final Setting<Path> S3_CREDENTIALS_FILE = Setting.define("s3.credentials-file", PATH)
            .paramLabel("FILE").defaultText("the SDK's usual places (environment, ~/.aws/credentials)")
            .doc("An AWS credentials file (profile [default]) for --blobs s3://....").build();
    public static final Setting<String> HOST = Setting.define("host", STRING)
            .defaultValue(CoordinatorConfig.DEFAULT_HOST).paramLabel("HOST").doc("Address to bind.").build();
    public static final Setting<Integer> PORT = Setting.define("port", ValueType.PORT)
            .defaultValue(CoordinatorConfig.DEFAULT_PORT).doc("gRPC port; 0 picks a free one.").build();
    public static final Setting<Integer> DASHBOARD_PORT = Setting.define("dashboard.port", ValueType.PORT)
            .defaultText(DashboardSettings.DEFAULT_PORT + "; 0 when port is 0")
            .doc("HTTPS port of the dashboard and REST API.").build();
    public static final Setting<String> DASHBOARD_HOST = Setting.define("dashboard.host", STRING).paramLabel("HOST")
            .defaultText("the host setting").doc("Address the dashboard binds.").build();
    public static final Setting<Boolean> DASHBOARD_ENABLED = Setting.define("dashboard.enabled", BOOLEAN)
            .defaultValue(true).flag("--no-dashboard").bareFlag("false")
            .doc("Serve the dashboard and REST API (the flag --no-dashboard turns them off).").build();
    public static final Setting<Path> DASHBOARD_CERT = Setting.define("dashboard.cert", PATH).paramLabel("FILE")
            .defaultText("one issued by the coordinator's CA")
            .doc("The dashboard's own PEM certificate chain; needs --dashboard-key.").build();
    public static final Setting<Path> DASHBOARD_KEY = Setting.define("dashboard.key", PATH).paramLabel("FILE")
            .doc("The PEM (PKCS#8) key of --dashboard-cert.").build();
    public static final Setting<Path> CA_CERT = Setting.define("ca.cert", PATH).paramLabel("FILE")
            .defaultText("DATA_DIR/pki/ca.crt, created on first start")
            .doc("Use this CA certificate (PEM) instead of creating one; needs --ca-key.").build();
    public static final Setting<Path> CA_KEY = Setting.define("ca.key", PATH).paramLabel("FILE")
            .doc("The supplied CA's private key (PEM, mode 0600).").build();
    public static final Setting<Path> CA_KEY_PASSWORD_FILE = Setting.define("ca.key-password-file", PATH)
            .paramLabel("FILE").defaultText("the key is not encrypted")
            .doc("Encrypt the created CA key with the password in FILE (or decrypt a supplied one).").build();
    public static final Setting<List<String>> TLS_NAMES = Setting.define("tls.names", STRINGS).flag("--tls-name")
            .paramLabel("HOST").defaultValue(List.of())
            .doc("More DNS names or IP addresses for the server certificate (it always names localhost, 127.0.0.1"
                    + " and the host setting), e.g. the name clients use across the network; comma-separated, or"
                    + " the flag repeated.").build();
    public static final Setting<Integer> CLIENT_CERT_DAYS = Setting.define("client-cert-days", INTEGER)
            .defaultValue((int) TlsSettings.DEFAULT_CLIENT_VALIDITY.toDays()).paramLabel("DAYS")
            .check(d -> d >= 1 && d <= 3650, "must be 1..3650 days")
            .doc("Validity of certificates issued at enrollment, in days.").build();
    public static final Setting<Boolean> INSECURE_TRANSPORT = Setting.define("insecure-transport", BOOLEAN)
            .defaultValue(false).bareFlag("true")
            .doc("DEVELOPMENT ONLY: plaintext gRPC without client certificates; anyone who reaches the port can do"
                    + " anything.").build();
    public static final Setting<Boolean> INSECURE_PLAINTEXT = Setting.define("insecure-plaintext", BOOLEAN)
            .defaultValue(false).bareFlag("true")
            .doc("DEVELOPMENT ONLY: also run jobs without secure aggregation, whose updates arrive in the clear.")
            .build();
    public static final Setting<Double> MAX_CALLS_PER_SECOND = Setting.define("max-calls-per-second", DECIMAL)
            .defaultValue(LoadLimits.DEFAULT_CALLS_PER_SECOND).paramLabel("N").check(n -> n > 0, "must be positive")
            .doc("Calls per second one client (per certificate) may make, sustained.").build();
    public static final Setting<Integer> MAX_CALL_BURST = Setting.define("max-call-burst", INTEGER)
            .defaultValue(LoadLimits.DEFAULT_CALL_BURST).paramLabel("N").check(n -> n > 0, "must be positive")
            .doc("Calls one client may make at once after a quiet spell.").build();
    public static final Setting<Double> MAX_ENROLL_CALLS_PER_SECOND = Setting.define("max-enroll-calls-per-second",
            DECIMAL).defaultValue(LoadLimits.DEFAULT_ANONYMOUS_CALLS_PER_SECOND).paramLabel("N")
            .check(n -> n > 0, "must be positive")
            .doc("Calls per second from one IP address without a client certificate (enrollment), sustained.").build();
    public static final Setting<Integer> MAX_ENROLL_BURST = Setting.define("max-enroll-burst", INTEGER)
            .defaultValue(LoadLimits.DEFAULT_ANONYMOUS_BURST).paramLabel("N").check(n -> n > 0, "must be positive")
            .doc("Such calls from one address at once.").build();
    public static final Setting<Integer> MAX_STREAMS_PER_CLIENT = Setting.define("max-streams-per-client", INTEGER)
            .defaultValue(LoadLimits.DEFAULT_STREAMS_PER_CLIENT).paramLabel("N").check(n -> n > 0, "must be positive")
            .doc("Streaming calls (Connect, FetchAdapter, SubmitUpdate, WatchJob, DownloadAdapter) one client may"
                    + " have open at once.").build();
    public static final Setting<Integer> MAX_ENROLLMENT_TOKENS = Setting.define("max-enrollment-tokens", INTEGER)
            .defaultValue(LoadLimits.DEFAULT_OUTSTANDING_ENROLLMENT_TOKENS).paramLabel("N")
            .check(n -> n > 0, "must be positive")
            .doc("Enrollment tokens that may be outstanding (neither used nor expired) at once.").build();
    public static final Setting<Path> METRICS_TOKEN_FILE = Setting.define("metrics.token-file", PATH)
            .paramLabel("FILE").defaultText("/metrics is readable without sign-in; it carries no secret")
            .doc("Require 'Authorization: Bearer TOKEN' on GET /metrics, TOKEN being this file's first line.").build();
    public static final Setting<URI> OTLP_ENDPOINT = Setting.define("otlp.endpoint", URL).paramLabel("URL")
            .defaultText("no traces are sent").check(CoordinatorSettings::httpUrl, "must be an http:// or https:// URL")
            .doc("Send OpenTelemetry traces (a span per round, a child per stage) to this OTLP/HTTP collector, e.g."
                    + " http://collector:4318.").build();
    public static final Setting<Boolean> STANDBY = Setting.define("standby", BOOLEAN).defaultValue(false)
            .bareFlag("true")
            .doc("One of several coordinators on a shared store (--store jdbc:postgresql://..., --blobs s3://..., the"
                    + " same --ca-cert and --ca-key): only the one holding the lease in the store listens and runs"
                    + " rounds; the others wait and take over when it lapses. Give agents every address.").build();
    public static final Setting<Integer> LEASE_TTL = Setting.define("lease-ttl-seconds", INTEGER)
            .defaultValue((int) StandbySettings.DEFAULT_LEASE_TTL.toSeconds()).paramLabel("SECONDS")
            .check(n -> n >= 1 && n <= 300, "must be 1..300 seconds")
            .doc("With --standby: how long the lease lasts unrenewed, so about how long a dead active coordinator"
                    + " goes unreplaced; renewed every quarter of it.").build();
    public static final Setting<Integer> HEALTH_PORT = Setting.define("health.port", ValueType.PORT)
            .paramLabel("PORT").defaultText("no probe port")
            .doc("Plain-HTTP probes on the --host, up from the start, a standby's included: GET /livez answers 200"
                    + " while the process runs, GET /readyz 200 only while this coordinator is the active one and its"
                    + " store answers (else 503 and why). For Kubernetes and service managers.").build();
    public static final Setting<List<FaultHold>> FAULT_HOLDS = Setting.define("fault-hold", ValueType.list(FAULT_HOLD))
            .hidden().paramLabel("POINT=MILLIS")
            .doc("Crash testing: stop this long at a round's aggregate or publish point (CoordinatorCrashIT).").build();

    public static final ConfigDef DEF = ConfigDef.of("fedlora coordinator")
            .add(DATA_DIR, STORE_URL, STORE_USER, STORE_PASSWORD, STORE_PASSWORD_FILE, BLOBS, S3_ENDPOINT, S3_REGION,
                    S3_CREDENTIALS_FILE, HOST, PORT, DASHBOARD_PORT, DASHBOARD_HOST, DASHBOARD_ENABLED,
                    DASHBOARD_CERT, DASHBOARD_KEY, CA_CERT, CA_KEY, CA_KEY_PASSWORD_FILE, TLS_NAMES, CLIENT_CERT_DAYS,
                    INSECURE_TRANSPORT, INSECURE_PLAINTEXT, MAX_CALLS_PER_SECOND, MAX_CALL_BURST,
                    MAX_ENROLL_CALLS_PER_SECOND, MAX_ENROLL_BURST, MAX_STREAMS_PER_CLIENT, MAX_ENROLLMENT_TOKENS,
                    METRICS_TOKEN_FILE, OTLP_ENDPOINT, STANDBY, LEASE_TTL, HEALTH_PORT, FAULT_HOLDS)
            .together(DASHBOARD_CERT, DASHBOARD_KEY)
            .together(CA_CERT, CA_KEY)
            .rule(v -> !v.isSet(STORE_URL) && (v.isSet(STORE_USER) || v.isSet(STORE_PASSWORD_FILE)
                    || v.isSet(STORE_PASSWORD)) ? Optional.of("--store-user, --store-password-file and "
                    + STORE_PASSWORD.envVar() + " go with --store") : Optional.empty())
            .rule(v -> v.isSet(STORE_PASSWORD) && v.isSet(STORE_PASSWORD_FILE) ? Optional.of("the store password is"
                    + " given twice: --store-password-file and " + STORE_PASSWORD.envVar() + " (or store.password);"
                    + " keep one") : Optional.empty())
            .rule(v -> v.get(STANDBY) && !v.find(STORE_URL).orElse("").startsWith("jdbc:postgresql:")
                    ? Optional.of("--standby needs a store every coordinator shares: --store jdbc:postgresql://...")
                    : Optional.empty())
            .rule(v -> !v.find(BLOBS).orElse("").startsWith("s3://") && (v.isSet(S3_ENDPOINT)
                    || v.isSet(S3_CREDENTIALS_FILE)) ? Optional.of("--s3-endpoint and --s3-credentials-file go with"
                    + " --blobs s3://...") : Optional.empty())
            .build();

    private CoordinatorSettings() {
    }

    private static boolean httpUrl(URI u) {
        return "http".equals(u.getScheme()) || "https".equals(u.getScheme());
    }
}
