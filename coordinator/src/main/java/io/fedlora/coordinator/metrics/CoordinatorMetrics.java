package io.fedlora.coordinator.metrics;

import io.fedlora.coordinator.round.ConnectedNodes;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The coordinator's meter registry in Prometheus form: the federation's meters, gRPC traffic, and
 * the JVM and process binders. {@link #scrape()} is the exposition text {@code GET /metrics} serves.
 */
public final class CoordinatorMetrics implements AutoCloseable {

    /** The Prometheus text exposition format, version 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final FederationMetrics federation;
    private final GrpcTraffic traffic;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public CoordinatorMetrics(ConnectedNodes nodes) {
        // Two binder names that promtool's lint refuses: the CPU count ends in _count like a summary's
        // part, and the process's CPU time is in nanoseconds (process_cpu_usage says the same).
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.logical") : id;
            }
        });
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        federation = new FederationMetrics(registry).watchConnectedNodes(nodes);
        traffic = new GrpcTraffic(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The round observer that feeds the federation's meters. */
    public FederationMetrics federation() {
        return federation;
    }

    /** The stream tracer factory to add to the gRPC server. */
    public GrpcTraffic grpcTraffic() {
        return traffic;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Every meter now, in the Prometheus text format ({@link #CONTENT_TYPE}). */
    public String scrape() {
        return registry.scrape(CONTENT_TYPE);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
