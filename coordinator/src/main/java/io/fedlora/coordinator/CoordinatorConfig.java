package io.fedlora.coordinator;

import io.fedlora.coordinator.limits.LoadLimits;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.coordinator.store.BlobSettings;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.trust.TlsSettings;
import io.fedlora.coordinator.web.DashboardSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a coordinator needs to start. Build with {@link #builder(Path)}; every problem is
 * reported at once by {@link Builder#build()}.
 *
 * @param dataDir where the PKI lives, and by default the database ({@code fedlora.mv.db}) and adapter
 *     blobs ({@code blobs/})
 * @param host address to bind; default {@value #DEFAULT_HOST}
 * @param port TCP port, default {@value #DEFAULT_PORT}; 0 picks a free one (see {@link CoordinatorServer#port()})
 * @param tls mutual TLS 1.3 with the coordinator's CA (the default); null only with
 *     {@code insecureTransport}
 * @param heartbeatInterval how often connected nodes get a heartbeat on their Connect stream
 * @param shutdownTimeout bound on the whole of {@link CoordinatorServer#close()}
 * @param maxInboundMessageBytes largest message accepted; uploads come in 1 MiB chunks
 * @param clock the time source for timestamps and round deadlines
 * @param roundTiming how the round loop paces itself
 * @param insecurePlaintext development only: also accept jobs whose updates arrive in plaintext;
 *     without it every job must use secure aggregation
 * @param insecureTransport development only: plaintext gRPC, no client certificates; every caller
 *     may do everything (in-process tests; never with real data)
 * @param loadLimits per-client call rates, open streams and outstanding enrollment tokens; rates and
 *     streams are enforced only with TLS, where calls have an identity to count against
 * @param database the store's database: by default the embedded H2 file in {@code dataDir}
 * @param blobs where adapter blobs live: by default {@code dataDir/blobs}
 * @param observability health checks, the metrics token and trace export
 * @param standby whether this coordinator shares its store with others and runs the rounds only while
 *     it holds the lease (see {@link io.fedlora.coordinator.ha.ActiveLease}); off by default
 * @param dashboard the HTTPS dashboard and REST API: on by default at port
 *     {@value DashboardSettings#DEFAULT_PORT}; when the gRPC port
 *     is 0 (tests) and the dashboard's was not set, its port is 0 too; it needs TLS, so a
 *     coordinator with {@code insecureTransport} serves it only with the operator's own certificate
 */
public record CoordinatorConfig(Path dataDir, String host, int port, TlsSettings tls,
        Duration heartbeatInterval, Duration shutdownTimeout, int maxInboundMessageBytes, InstantSource clock,
        RoundTiming roundTiming, boolean insecurePlaintext, boolean insecureTransport, LoadLimits loadLimits,
        DatabaseSettings database, BlobSettings blobs, ObservabilitySettings observability,
        io.fedlora.coordinator.ha.StandbySettings standby, DashboardSettings dashboard) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7070;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    /** One 1 MiB chunk plus framing and headroom. */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = (1 << 20) + (64 << 10);

    public CoordinatorConfig {
        List<String> p = new ArrayList<>();
        if (dataDir == null) {
            p.add("dataDir: required");
        }
        if (host == null || host.isBlank()) {
            p.add("host: required");
        }
        if (port < 0 || port > 65535) {
            p.add("port: must be in 0..65535, got " + port);
        }
        if (tls == null && !insecureTransport) {
            p.add("tls: required unless insecureTransport (development only) is set");
        }
        if (heartbeatInterval == null || heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            p.add("heartbeatInterval: must be positive, got " + heartbeatInterval);
        }
        if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
            p.add("shutdownTimeout: must not be negative, got " + shutdownTimeout);
        }
        if (maxInboundMessageBytes < (1 << 20) + 1024) {
            p.add("maxInboundMessageBytes: must fit a 1 MiB chunk plus framing (>= " + ((1 << 20) + 1024)
                    + "), got " + maxInboundMessageBytes);
        }
        if (clock == null) {
            p.add("clock: required");
        }
        if (roundTiming == null) {
            p.add("roundTiming: required");
        }
        if (loadLimits == null) {
            p.add("loadLimits: required");
        }
        if (database == null) {
            p.add("database: required");
        }
        if (blobs == null) {
            p.add("blobs: required");
        }
        if (observability == null) {
            p.add("observability: required");
        }
        if (standby == null) {
            p.add("standby: required (StandbySettings.alone() when this coordinator is the only one)");
        } else if (standby.enabled() && database != null
                && database.dialect() == io.fedlora.coordinator.store.jdbc.SqlDialect.H2) {
            p.add("standby: a lease needs a store every coordinator shares (--store jdbc:postgresql://...); the"
                    + " embedded H2 file belongs to one process");
        }
        if (dashboard == null) {
            p.add("dashboard: required (DashboardSettings.disabled() to turn it off)");
        }
        if (!p.isEmpty()) {
            throw new IllegalArgumentException("invalid coordinator config: " + String.join("; ", p));
        }
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    public static final class Builder {
        private final Path dataDir;
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private TlsSettings tls = TlsSettings.generatedCa();
        private Duration heartbeatInterval = DEFAULT_HEARTBEAT;
        private ObservabilitySettings observability = ObservabilitySettings.defaults();
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private int maxInboundMessageBytes = DEFAULT_MAX_INBOUND_MESSAGE_BYTES;
        private InstantSource clock = InstantSource.system();
        private RoundTiming roundTiming = RoundTiming.defaults();
        private boolean insecurePlaintext;
        private boolean insecureTransport;
        private LoadLimits loadLimits = LoadLimits.defaults();
        private DatabaseSettings database;
        private BlobSettings blobs;
        private DashboardSettings dashboard;
        private io.fedlora.coordinator.ha.StandbySettings standby = io.fedlora.coordinator.ha.StandbySettings.alone();

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder tls(TlsSettings v) {
            tls = v;
            return this;
        }

        public Builder heartbeatInterval(Duration v) {
            heartbeatInterval = v;
            return this;
        }

        public Builder shutdownTimeout(Duration v) {
            shutdownTimeout = v;
            return this;
        }

        public Builder maxInboundMessageBytes(int v) {
            maxInboundMessageBytes = v;
            return this;
        }

        public Builder clock(InstantSource v) {
            clock = v;
            return this;
        }

        public Builder roundTiming(RoundTiming v) {
            roundTiming = v;
            return this;
        }

        /** Development only: accept jobs without secure aggregation. */
        public Builder insecurePlaintext(boolean v) {
            insecurePlaintext = v;
            return this;
        }

        /** Development only: plaintext gRPC without client certificates (in-process tests). */
        public Builder insecureTransport(boolean v) {
            insecureTransport = v;
            return this;
        }

        public Builder loadLimits(LoadLimits v) {
            loadLimits = v;
            return this;
        }

        /** The store's database; without this, the embedded H2 file in the data directory. */
        public Builder database(DatabaseSettings v) {
            database = v;
            return this;
        }

        /** Where adapter blobs live; without this, {@code dataDir/blobs}. */
        public Builder blobs(BlobSettings v) {
            blobs = v;
            return this;
        }

        /** Health check interval, metrics token file and OTLP endpoint; without this, the defaults. */
        public Builder observability(ObservabilitySettings v) {
            observability = v;
            return this;
        }

        /** The dashboard's listener; without this, on at its default port (port 0 when the gRPC port is 0). */
        public Builder dashboard(DashboardSettings v) {
            dashboard = v;
            return this;
        }

        /** Run as one of several coordinators on a shared store, active only while holding the lease. */
        public Builder standby(io.fedlora.coordinator.ha.StandbySettings v) {
            standby = v;
            return this;
        }

        public CoordinatorConfig build() {
            DashboardSettings d = dashboard != null ? dashboard
                    : port == 0 ? DashboardSettings.defaults().withPort(0) : DashboardSettings.defaults();
            return new CoordinatorConfig(dataDir, host, port, insecureTransport ? null : tls, heartbeatInterval,
                    shutdownTimeout, maxInboundMessageBytes, clock, roundTiming, insecurePlaintext, insecureTransport,
                    loadLimits, database != null || dataDir == null ? database : DatabaseSettings.embedded(dataDir),
                    blobs != null || dataDir == null ? blobs : BlobSettings.directory(dataDir.resolve("blobs")),
                    observability, standby, d);
        }
    }
}
