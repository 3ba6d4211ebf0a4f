package io.fedlora.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * The process's OpenTelemetry: off (no-op, nothing exported) unless an OTLP/HTTP endpoint is
 * given; then spans are batched to {@code ENDPOINT/v1/traces}.
 */
public final class Tracing implements AutoCloseable {

    private final OpenTelemetry otel;
    private final Optional<SdkTracerProvider> provider;

    private Tracing(OpenTelemetry otel, Optional<SdkTracerProvider> provider) {
        this.otel = otel;
        this.provider = provider;
    }

    /** No spans are made or sent. */
    public static Tracing off() {
        return new Tracing(OpenTelemetry.noop(), Optional.empty());
    }

    /** Exports to the OTLP/HTTP collector at {@code endpoint} (e.g. http://collector:4318). */
    public static Tracing otlp(String serviceName, URI endpoint) {
        String base = endpoint.toString().replaceAll("/+$", "");
        return to(serviceName, OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces")
                .setTimeout(Duration.ofSeconds(10)).build());
    }

    /** Exports to {@code exporter} (tests pass an in-memory one). */
    public static Tracing to(String serviceName, SpanExporter exporter) {
        SdkTracerProvider p = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), serviceName))))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build()).build();
        return new Tracing(OpenTelemetrySdk.builder().setTracerProvider(p).build(), Optional.of(p));
    }

    public static Tracing of(String serviceName, Optional<URI> endpoint) {
        return endpoint.map(u -> otlp(serviceName, u)).orElseGet(Tracing::off);
    }

    public OpenTelemetry openTelemetry() {
        return otel;
    }

    public boolean enabled() {
        return provider.isPresent();
    }

    /** Sends what is still batched. */
    public void flush() {
        provider.ifPresent(p -> p.forceFlush().join(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Override
    public void close() {
        provider.ifPresent(p -> p.shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS));
    }
}
