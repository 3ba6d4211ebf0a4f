package io.fedlora.coordinator.service;

import io.fedlora.coordinator.CoordinatorException;
import io.fedlora.coordinator.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place domain exceptions become gRPC statuses, by gRPC's rule: NOT_FOUND / INVALID_ARGUMENT
 * (the request is wrong), FAILED_PRECONDITION (not in this state; don't retry until it changes),
 * ALREADY_EXISTS (what you tried to create exists), UNAUTHENTICATED (no valid credentials),
 * PERMISSION_DENIED (valid credentials, not allowed), RESOURCE_EXHAUSTED (a load limit; retry later),
 * UNAVAILABLE (retry). Anything else is INTERNAL,
 * logged here and described to the caller only generically.
 */
public final class StatusMapper {

    private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

    private StatusMapper() {}

    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof StatusException s) {
            return s.getStatus().asRuntimeException(s.getTrailers());
        }
        Status status;
        if (t instanceof CoordinatorException ce) {
            if (ce instanceof CoordinatorException.NotFound) {
                status = Status.NOT_FOUND;
            } else if (ce instanceof CoordinatorException.InvalidArgument) {
                status = Status.INVALID_ARGUMENT;
            } else if (ce instanceof CoordinatorException.FailedPrecondition) {
                status = Status.FAILED_PRECONDITION;
            } else if (ce instanceof CoordinatorException.AlreadyExists) {
                status = Status.ALREADY_EXISTS;
            } else if (ce instanceof CoordinatorException.Unauthenticated) {
                status = Status.UNAUTHENTICATED;
            } else if (ce instanceof CoordinatorException.PermissionDenied) {
                status = Status.PERMISSION_DENIED;
            } else if (ce instanceof CoordinatorException.ResourceExhausted) {
                status = Status.RESOURCE_EXHAUSTED;
            } else {
                status = Status.UNAVAILABLE;
            }
            return status.withDescription(ce.getMessage()).asRuntimeException();
        }
        if (t instanceof StoreException) {
            log.error("store failure while serving a call", t);
            return Status.INTERNAL.withDescription("coordinator store error").asRuntimeException();
        }
        log.error("unexpected failure while serving a call", t);
        return Status.INTERNAL.withDescription("internal error").asRuntimeException();
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
