package io.fedlora.deploy.cli;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.limits.LoadLimits;
import io.fedlora.coordinator.trust.TlsSettings;
import io.fedlora.coordinator.web.DashboardSettings;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.coordinator.store.BlobSettings;
import io.fedlora.coordinator.store.DatabaseSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import io.fedlora.coordinator.ObservabilitySettings;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.profiles.ProfileFile;

/** Runs a coordinator until it is stopped (SIGTERM / Ctrl-C). */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
        description = {"Run a coordinator; its state (jobs, rounds, nodes, adapters) lives in --data-dir, or in the"
                + " PostgreSQL database of --store and the blob location of --blobs.",
            "Every connection is mutual TLS 1.3. On first start it creates a CA in DATA_DIR/pki (ca.key mode 0600;"
                + " ca.crt is what clients trust) unless --ca-cert/--ca-key name one, and writes the local admin's"
                + " client credentials to DATA_DIR/pki/admin (for 'fedlora admin --credentials')."})
public final class CoordinatorCommand implements Callable<Integer> {

    static final String STORE_PASSWORD_ENV = "FEDLORA_STORE_PASSWORD";

    @Option(names = "--data-dir", required = true,
            description = "State directory: the CA (pki/) and, unless --store and --blobs say otherwise, the H2"
                    + " database and adapter blobs.")
    Path dataDir;

    @Option(names = "--store", paramLabel = "JDBC_URL",
            description = "The store's database, e.g. jdbc:postgresql://db.example:5432/fedlora (default: the embedded"
                    + " H2 file in --data-dir). Never put the password in the URL: use --store-password-file or the"
                    + " environment variable " + STORE_PASSWORD_ENV + ".")
    String storeUrl;

    @Option(names = "--store-user", paramLabel = "NAME", description = "The database user for --store.")
    String storeUser = "";

    @Option(names = "--store-password-file", paramLabel = "FILE",
            description = "A file holding the database password for --store (one line).")
    Path storePasswordFile;

    @Option(names = "--blobs", paramLabel = "DIR|s3://BUCKET/PREFIX",
            description = "Where adapter versions are kept: a directory, or an S3-compatible bucket shared by several"
                    + " coordinator hosts (default: DATA_DIR/blobs). S3 credentials come from the environment"
                    + " (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or --s3-credentials-file.")
    String blobs;

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "The S3-compatible server for --blobs s3://... (MinIO, Ceph, ...); omit for AWS S3.")
    URI s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", defaultValue = "${env:AWS_REGION:-us-east-1}",
            description = "The bucket's region (default: $AWS_REGION, else us-east-1).")
    String s3Region;

    @Option(names = "--s3-credentials-file", paramLabel = "FILE",
            description = "An AWS credentials file (profile [default]) for --blobs s3://...; without it the SDK's usual"
                    + " places (environment, ~/.aws/credentials).")
    Path s3CredentialsFile;

    @Option(names = "--host", defaultValue = CoordinatorConfig.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "7070", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--dashboard-port", paramLabel = "PORT",
            description = "HTTPS port of the dashboard and REST API (default: 7443; 0 when --port is 0).")
    Integer dashboardPort;

    @Option(names = "--dashboard-host", paramLabel = "HOST", description = "Address the dashboard binds (default: --host).")
    String dashboardHost;

    @Option(names = "--no-dashboard", description = "Serve no dashboard or REST API.")
    boolean noDashboard;

    @Option(names = "--dashboard-cert", paramLabel = "FILE",
            description = "The dashboard's own PEM certificate chain (default: one issued by the coordinator's CA).")
    Path dashboardCert;

    @Option(names = "--dashboard-key", paramLabel = "FILE", description = "The PEM (PKCS#8) key of --dashboard-cert.")
    Path dashboardKey;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "Use this CA certificate (PEM) instead of creating one; needs --ca-key.")
    Path caCert;

    @Option(names = "--ca-key", paramLabel = "FILE", description = "The supplied CA's private key (PEM, mode 0600).")
    Path caKey;

    @Option(names = "--ca-key-password-file", paramLabel = "FILE",
            description = "Encrypt the created CA key with the password in FILE (or decrypt a supplied one).")
    Path caKeyPasswordFile;

    @Option(names = "--tls-name", paramLabel = "HOST", split = ",",
            description = "More DNS names or IP addresses for the server certificate (it always names localhost, "
                    + "127.0.0.1 and --host), e.g. the name clients use across the network.")
    List<String> tlsNames = new ArrayList<>();

    @Option(names = "--client-cert-days", defaultValue = "365",
            description = "Validity of certificates issued at enrollment, in days (default: ${DEFAULT-VALUE}).")
    int clientCertDays;

    @Option(names = "--insecure-transport",
            description = "DEVELOPMENT ONLY: plaintext gRPC without client certificates; anyone who reaches the port can"
                    + " do anything.")
    boolean insecureTransport;

    @Option(names = "--insecure-plaintext",
            description = "DEVELOPMENT ONLY: also run jobs without secure aggregation, whose updates arrive in the clear.")
    boolean insecurePlaintext;

    @Option(names = "--max-calls-per-second", paramLabel = "N", defaultValue = "" + LoadLimits.DEFAULT_CALLS_PER_SECOND,
            description = "Calls per second one client (per certificate) may make, sustained (default: ${DEFAULT-VALUE}).")
    double callsPerSecond;

    @Option(names = "--max-call-burst", paramLabel = "N", defaultValue = "" + LoadLimits.DEFAULT_CALL_BURST,
            description = "Calls one client may make at once after a quiet spell (default: ${DEFAULT-VALUE}).")
    int callBurst;

    @Option(names = "--max-enroll-calls-per-second", paramLabel = "N",
            defaultValue = "" + LoadLimits.DEFAULT_ANONYMOUS_CALLS_PER_SECOND,
            description = "Calls per second from one IP address without a client certificate (enrollment), sustained"
                    + " (default: ${DEFAULT-VALUE}).")
    double anonymousCallsPerSecond;

    @Option(names = "--max-enroll-burst", paramLabel = "N", defaultValue = "" + LoadLimits.DEFAULT_ANONYMOUS_BURST,
            description = "Such calls from one address at once (default: ${DEFAULT-VALUE}).")
    int anonymousBurst;

    @Option(names = "--max-streams-per-client", paramLabel = "N", defaultValue = "" + LoadLimits.DEFAULT_STREAMS_PER_CLIENT,
            description = "Streaming calls (Connect, FetchAdapter, SubmitUpdate, WatchJob, DownloadAdapter) one client"
                    + " may have open at once (default: ${DEFAULT-VALUE}).")
    int streamsPerClient;

    @Option(names = "--max-enrollment-tokens", paramLabel = "N",
            defaultValue = "" + LoadLimits.DEFAULT_OUTSTANDING_ENROLLMENT_TOKENS,
            description = "Enrollment tokens that may be outstanding (neither used nor expired) at once"
                    + " (default: ${DEFAULT-VALUE}).")
    int outstandingEnrollmentTokens;

    @Option(names = "--metrics-token-file", paramLabel = "FILE",
            description = "Require 'Authorization: Bearer TOKEN' on GET /metrics, TOKEN being this file's first line"
                    + " (default: /metrics is readable without sign-in; it carries no secret).")
    Path metricsTokenFile;

    @Option(names = "--fault-hold", hidden = true, paramLabel = "POINT=MILLIS",
            description = "Crash testing: stop this long at a round's aggregate or publish point (CoordinatorCrashIT).")
    java.util.Map<String, Long> faultHold;

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = "Send OpenTelemetry traces (a span per round, a child per stage) to this OTLP/HTTP"
                    + " collector, e.g. http://collector:4318 (default: no traces are sent).")
    java.net.URI otlpEndpoint;

    private ObservabilitySettings observability() {
        ObservabilitySettings o = ObservabilitySettings.defaults();
        if (metricsTokenFile != null) {
            o = o.withMetricsTokenFile(metricsTokenFile);
        }
        return otlpEndpoint != null ? o.withOtlpEndpoint(otlpEndpoint) : o;
    }

    private LoadLimits loadLimits() {
        return new LoadLimits(callsPerSecond, callBurst, anonymousCallsPerSecond, anonymousBurst, streamsPerClient,
                outstandingEnrollmentTokens);
    }

    private DashboardSettings dashboard() {
        if (noDashboard) {
            return DashboardSettings.disabled();
        }
        if ((dashboardCert == null) != (dashboardKey == null)) {
            throw new IllegalArgumentException("--dashboard-cert and --dashboard-key go together");
        }
        DashboardSettings d = DashboardSettings.defaults()
                .withPort(dashboardPort != null ? dashboardPort : port == 0 ? 0 : DashboardSettings.DEFAULT_PORT);
        if (dashboardHost != null) {
            d = d.withHost(dashboardHost);
        }
        return dashboardCert == null ? d : d.withCertificate(dashboardCert, dashboardKey);
    }

    private TlsSettings tls() throws IOException {
        TlsSettings t = TlsSettings.generatedCa().withServerNames(tlsNames)
                .withClientCertificateValidity(Duration.ofDays(clientCertDays));
        if ((caCert == null) != (caKey == null)) {
            throw new IllegalArgumentException("--ca-cert and --ca-key go together");
        }
        if (caCert != null) {
            t = t.withSuppliedCa(caCert, caKey);
        }
        if (caKeyPasswordFile != null) {
            t = t.withCaKeyPassword(readSecret(caKeyPasswordFile));
        }
        return t;
    }

    /** A password file's contents without the line end an editor leaves. */
    private static SecretBytes readSecret(Path file) throws IOException {
        byte[] pw = Files.readAllBytes(file);
        int n = pw.length;
        while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r')) {
            n--;
        }
        SecretBytes s = SecretBytes.copyOf(Arrays.copyOf(pw, n));
        Arrays.fill(pw, (byte) 0);
        return s;
    }

    private DatabaseSettings database() throws IOException {
        String fromEnv = System.getenv(STORE_PASSWORD_ENV);
        if (storeUrl == null) {
            if (storePasswordFile != null || !storeUser.isEmpty()) {
                throw new IllegalArgumentException("--store-user and --store-password-file go with --store");
            }
            return DatabaseSettings.embedded(dataDir);
        }
        if (storePasswordFile != null && fromEnv != null) {
            throw new IllegalArgumentException("the store password is given twice: --store-password-file and "
                    + STORE_PASSWORD_ENV + "; keep one");
        }
        Optional<SecretBytes> password = storePasswordFile != null ? Optional.of(readSecret(storePasswordFile))
                : Optional.ofNullable(fromEnv).map(p -> SecretBytes.copyOf(p.getBytes(StandardCharsets.UTF_8)));
        return DatabaseSettings.jdbc(storeUrl, storeUser, password);
    }

    private BlobSettings blobSettings() {
        if (blobs == null || !blobs.startsWith("s3://")) {
            if (s3Endpoint != null || s3CredentialsFile != null) {
                throw new IllegalArgumentException("--s3-endpoint and --s3-credentials-file go with --blobs s3://...");
            }
            return BlobSettings.directory(blobs == null ? dataDir.resolve("blobs") : Path.of(blobs));
        }
        if (s3CredentialsFile != null && !Files.isReadable(s3CredentialsFile)) {
            throw new IllegalArgumentException("--s3-credentials-file: cannot read " + s3CredentialsFile);
        }
        AwsCredentialsProvider credentials = s3CredentialsFile == null ? DefaultCredentialsProvider.builder().build()
                : ProfileCredentialsProvider.builder().profileName("default").profileFile(ProfileFile.builder()
                        .content(s3CredentialsFile).type(ProfileFile.Type.CREDENTIALS).build()).build();
        return BlobSettings.s3(blobs, Optional.ofNullable(s3Endpoint), s3Region, credentials);
    }

    @Override
    public Integer call() throws Exception {
        if (faultHold != null) {
            java.util.Map<String, java.time.Duration> holds = new java.util.HashMap<>();
            faultHold.forEach((point, ms) -> holds.put(point, java.time.Duration.ofMillis(ms)));
            io.fedlora.coordinator.round.FaultHolds.configure(holds);
        }
        CoordinatorServer server = CoordinatorServer.start(CoordinatorConfig.builder(dataDir).host(host).port(port)
                .tls(tls()).insecureTransport(insecureTransport).insecurePlaintext(insecurePlaintext)
                .loadLimits(loadLimits()).database(database()).blobs(blobSettings()).observability(observability())
                .dashboard(dashboard()).build());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("coordinator: shutdown: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "coordinator-shutdown"));
        // The launcher and the tests wait for this exact line.
        System.out.println("coordinator listening on " + host + ":" + server.port());
        server.adminCredentialsDir().ifPresent(d -> System.out.println("mutual TLS; CA certificate "
                + server.caCertificateFile().orElseThrow() + ", local admin credentials " + d));
        server.dashboardUrl().ifPresent(u -> System.out.println("dashboard at " + u));
        System.out.flush();
        stopped.await();
        return 0;
    }
}
