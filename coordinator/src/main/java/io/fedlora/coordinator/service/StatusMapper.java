package io.fedlora.coordinator.service;

import io.fedlora.coordinator.app.AppError;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * The one place domain exceptions become gRPC statuses, by gRPC's rule: NOT_FOUND / INVALID_ARGUMENT
 * (the request is wrong), FAILED_PRECONDITION (not in this state; don't retry until it changes),
 * ALREADY_EXISTS (what you tried to create exists), UNAUTHENTICATED (no valid credentials),
 * PERMISSION_DENIED (valid credentials, not allowed), RESOURCE_EXHAUSTED (a load limit; retry later),
 * UNAVAILABLE (retry). Anything else is INTERNAL, described to the caller only generically. The
 * mapping itself is {@link AppError#grpcStatus()}, shared with the dashboard's HTTP statuses.
 */
public final class StatusMapper {

    private StatusMapper() {}

    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof StatusException s) {
            return s.getStatus().asRuntimeException(s.getTrailers());
        }
        return AppError.of(t).grpcStatus().asRuntimeException();
    }

    /** Runs a unary call's body and completes {@code obs} with its result or the mapped status. */
    static <T> void unary(StreamObserver<T> obs, Supplier<T> body) {
        T result;
        try {
            result = body.get();
        } catch (RuntimeException e) {
            obs.onError(toStatus(e));
            return;
        }
        obs.onNext(result);
        obs.onCompleted();
    }
}
