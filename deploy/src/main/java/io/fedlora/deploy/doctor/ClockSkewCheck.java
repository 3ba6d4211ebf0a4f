package io.fedlora.deploy.doctor;

import io.fedlora.client.tls.CoordinatorChannels;
import io.fedlora.coordinator.service.ServerTimeHeader;
import io.fedlora.crypto.pki.TlsCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The coordinator's health over gRPC with the node's credentials, and the difference between its
 * clock and this one: certificates, enrollment tokens and round deadlines are all judged by clocks.
 * The coordinator stamps its time on every response ({@link ServerTimeHeader}); the skew is taken
 * against the middle of the call, give or take half its round trip.
 */
final class ClockSkewCheck extends CredentialedCheck {

    private final Duration maxSkew;
    private final Duration timeout;
    private final InstantSource clock;

    ClockSkewCheck(CoordinatorEndpoint endpoint, Duration maxSkew, Duration timeout, InstantSource clock) {
        super(endpoint);
        this.maxSkew = maxSkew;
        this.timeout = timeout;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "clock-skew";
    }

    @Override
    CheckResult check(TlsCredentials creds) {
        ManagedChannel channel = CoordinatorChannels.mutualTls(endpoint.target(), creds);
        try {
            AtomicReference<Metadata> headers = new AtomicReference<>();
            AtomicReference<Metadata> trailers = new AtomicReference<>();
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long sent = clock.millis();
            HealthCheckResponse.ServingStatus status = health.check(HealthCheckRequest.getDefaultInstance()).getStatus();
            long received = clock.millis();
            String serverTime = headers.get() == null ? null : headers.get().get(ServerTimeHeader.KEY);
            if (serverTime == null) {
                return CheckResult.fail(name(), endpoint.target() + " answered (" + status + ") without its time");
            }
            long skew = Long.parseLong(serverTime) - (sent + received) / 2;
            long within = (received - sent + 1) / 2;
            String what = "coordinator " + status + ", its clock " + (skew >= 0 ? "ahead by " : "behind by ")
                    + Math.abs(skew) + " ms (±" + within + " ms)";
            if (status != HealthCheckResponse.ServingStatus.SERVING) {
                return CheckResult.fail(name(), what);
            }
            return Math.abs(skew) - within > maxSkew.toMillis()
                    ? CheckResult.fail(name(), what + ": more than " + maxSkew.toMillis() + " ms; run NTP on both")
                    : CheckResult.ok(name(), what);
        } catch (StatusRuntimeException e) {
            return CheckResult.fail(name(), endpoint.target() + ": " + e.getStatus().getCode() + ": "
                    + e.getStatus().getDescription());
        } catch (NumberFormatException e) {
            return CheckResult.fail(name(), endpoint.target() + ": unreadable " + ServerTimeHeader.KEY.name() + " header");
        } finally {
            CoordinatorChannels.close(channel);
        }
    }
}
