package io.fedlora.deploy.cli;

import static io.fedlora.deploy.cli.CoordinatorSettings.*;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.ha.StandbySettings;
import io.fedlora.coordinator.limits.LoadLimits;
import io.fedlora.coordinator.trust.TlsSettings;
import io.fedlora.coordinator.web.DashboardSettings;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.coordinator.store.BlobSettings;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.config.ConfigValues;
import io.fedlora.coordinator.round.FaultHolds;
import io.fedlora.deploy.cli.CoordinatorSettings.FaultHold;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.fedlora.coordinator.ObservabilitySettings;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.profiles.ProfileFile;

/** Runs a coordinator until it is stopped (SIGTERM / Ctrl-C). */
@Command(name = "coordinator", mixinStandardHelpOptions = true, modelTransformer = SettingOptions.Declared.class,
        description = {"Run a coordinator; its state (jobs, rounds, nodes, adapters) lives in --data-dir, or in the"
                + " PostgreSQL database of --store and the blob location of --blobs.",
            "Every connection is mutual TLS 1.3. On first start it creates a CA in DATA_DIR/pki (ca.key mode 0600;"
                + " ca.crt is what clients trust) unless --ca-cert/--ca-key name one, and writes the local admin's"
                + " client credentials to DATA_DIR/pki/admin (for 'fedlora admin --credentials').",
            "Every setting may also come from --config FILE or a FEDLORA_ environment variable:"
                + " docs/configuration.md."})
public final class CoordinatorCommand implements Callable<Integer> {

    /** EX_TEMPFAIL: this coordinator was active and another took the lease over; restart it as a standby. */
    static final int EXIT_LEASE_LOST = 75;


    @Mixin
    ConfigFileOption configFile = new ConfigFileOption();

    /** The resolved settings; set at the start of {@link #call()}. */
    private ConfigValues config;

    private ObservabilitySettings observability() {
        ObservabilitySettings o = ObservabilitySettings.defaults();
        o = config.find(METRICS_TOKEN_FILE).map(o::withMetricsTokenFile).orElse(o);
        return config.find(OTLP_ENDPOINT).map(o::withOtlpEndpoint).orElse(o);
    }

    private LoadLimits loadLimits() {
        return new LoadLimits(config.get(MAX_CALLS_PER_SECOND), config.get(MAX_CALL_BURST),
                config.get(MAX_ENROLL_CALLS_PER_SECOND), config.get(MAX_ENROLL_BURST),
                config.get(MAX_STREAMS_PER_CLIENT),
                config.get(MAX_ENROLLMENT_TOKENS));
    }

    private DashboardSettings dashboard() {
        if (!config.get(DASHBOARD_ENABLED)) {
            return DashboardSettings.disabled();
        }
        int port = config.find(DASHBOARD_PORT).orElse(config.get(PORT) == 0 ? 0 : DashboardSettings.DEFAULT_PORT);
        DashboardSettings d = DashboardSettings.defaults().withPort(port);
        d = config.find(DASHBOARD_HOST).map(d::withHost).orElse(d);
        return config.isSet(DASHBOARD_CERT)
                ? d.withCertificate(config.get(DASHBOARD_CERT), config.get(DASHBOARD_KEY)) : d;
    }

    private TlsSettings tls() throws IOException {
        TlsSettings t = TlsSettings.generatedCa().withServerNames(config.get(TLS_NAMES))
                .withClientCertificateValidity(Duration.ofDays(config.get(CLIENT_CERT_DAYS)));
        if (config.isSet(CA_CERT)) {
            t = t.withSuppliedCa(config.get(CA_CERT), config.get(CA_KEY));
        }
        Optional<Path> caKeyPassword = config.find(CA_KEY_PASSWORD_FILE);
        return caKeyPassword.isPresent() ? t.withCaKeyPassword(readSecret(caKeyPassword.get())) : t;
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
        Optional<String> url = config.find(STORE_URL);
        if (url.isEmpty()) {
            return DatabaseSettings.embedded(config.get(DATA_DIR));
        }
        Optional<Path> file = config.find(STORE_PASSWORD_FILE);
        Optional<SecretBytes> password = file.isPresent() ? Optional.of(readSecret(file.get()))
                : config.find(STORE_PASSWORD);
        return DatabaseSettings.jdbc(url.get(), config.get(STORE_USER), password);
    }

    private BlobSettings blobSettings() {
        Optional<String> blobs = config.find(BLOBS);
        if (blobs.isEmpty() || !blobs.get().startsWith("s3://")) {
            return BlobSettings.directory(blobs.map(Path::of).orElse(config.get(DATA_DIR).resolve("blobs")));
        }
        Optional<Path> credentialsFile = config.find(S3_CREDENTIALS_FILE);
        if (credentialsFile.isPresent() && !Files.isReadable(credentialsFile.get())) {
            throw new IllegalArgumentException("--s3-credentials-file: cannot read " + credentialsFile.get());
        }
        AwsCredentialsProvider credentials = credentialsFile.isEmpty() ? DefaultCredentialsProvider.builder().build()
                : ProfileCredentialsProvider.builder().profileName("default").profileFile(ProfileFile.builder()
                        .content(credentialsFile.get()).type(ProfileFile.Type.CREDENTIALS).build()).build();
        return BlobSettings.s3(blobs.get(), config.find(S3_ENDPOINT), config.get(S3_REGION), credentials);
    }

    private CoordinatorServer start() throws IOException {
        return CoordinatorServer.start(CoordinatorConfig.builder(config.get(DATA_DIR)).host(config.get(HOST))
                .port(config.get(PORT)).tls(tls()).insecureTransport(config.get(INSECURE_TRANSPORT))
                .insecurePlaintext(config.get(INSECURE_PLAINTEXT))
                .loadLimits(loadLimits()).database(database()).blobs(blobSettings()).observability(observability())
                .standby(config.get(STANDBY) ? StandbySettings.withLease(Duration.ofSeconds(config.get(LEASE_TTL)))
                        : StandbySettings.alone())
                .dashboard(dashboard()).build());
    }

    /** With --health-port: the probes, started before a standby waits for the lease. */
    private Optional<HealthProbes> probes(String host, AtomicReference<CoordinatorServer> started) throws IOException {
        if (!config.isSet(HEALTH_PORT)) {
            return Optional.empty();
        }
        String waiting = config.get(STANDBY) ? "standby: waiting for the active coordinator's lease" : "starting";
        HealthProbes p = HealthProbes.start(host, config.get(HEALTH_PORT), () -> {
            CoordinatorServer s = started.get();
            return s == null ? Optional.of(waiting) : s.serving() ? Optional.empty() : Optional.of("not serving");
        });
        // Printed first: a probe may ask before the coordinator listens.
        System.out.println("health probes on " + host + ":" + p.port() + " (/livez, /readyz)");
        System.out.flush();
        return Optional.of(p);
    }

    @Override
    public Integer call() throws Exception {
        config = configFile.resolve(DEF, System.getenv());
        List<FaultHold> faultHolds = config.find(FAULT_HOLDS).orElse(List.of());
        if (!faultHolds.isEmpty()) {
            Map<String, Duration> holds = new HashMap<>();
            faultHolds.forEach(h -> holds.put(h.point(), h.hold()));
            FaultHolds.configure(holds);
        }
        String host = config.get(HOST);
        AtomicReference<CoordinatorServer> started = new AtomicReference<>();
        Optional<HealthProbes> probes = probes(host, started);
        CoordinatorServer server;
        try {
            server = start();
        } catch (IOException | RuntimeException e) {
            probes.ifPresent(HealthProbes::close); // its dispatcher thread would keep the JVM up
            throw e;
        }
        started.set(server);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
                probes.ifPresent(HealthProbes::close);
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
        server.leaseLost().thenRun(stopped::countDown);
        stopped.await();
        if (server.leaseLost().isDone()) {
            // Exit non-zero: the service manager restarts this process, and it waits as a standby.
            System.err.println("coordinator: lost the lease to another coordinator: " + server.leaseLost().join());
            try {
                server.close(); // already under way; this waits for it
            } catch (RuntimeException e) {
                System.err.println("coordinator: shutdown: " + e.getMessage());
            }
            return EXIT_LEASE_LOST;
        }
        return 0;
    }
}
