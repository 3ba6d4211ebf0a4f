package io.fedlora.coordinator.app;

import io.fedlora.coordinator.CoordinatorException;
import io.fedlora.coordinator.store.StoreException;
import io.grpc.Status;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one failure type both front doors answer with: a kind, a message safe to show the caller (it
 * never carries a secret), and the request field at fault where there is one. {@link #of(Throwable)}
 * classifies the domain's exceptions; {@link #grpcStatus()} and {@link #httpStatus()} are the only
 * mappings to the two protocols.
 */
public final class AppError extends RuntimeException {

    private static final Logger log = LoggerFactory.getLogger(AppError.class);
    /** Domain messages start with the field they blame: {@code "job_id: no job 'x'"}. */
    private static final Pattern FIELD_PREFIX = Pattern.compile("^([a-z][a-zA-Z0-9_.\\[\\]]{0,63}): ");

    /** What went wrong, as a caller can act on it. */
    public enum Kind {
        INVALID_ARGUMENT(Status.Code.INVALID_ARGUMENT, 400),
        UNAUTHENTICATED(Status.Code.UNAUTHENTICATED, 401),
        PERMISSION_DENIED(Status.Code.PERMISSION_DENIED, 403),
        NOT_FOUND(Status.Code.NOT_FOUND, 404),
        ALREADY_EXISTS(Status.Code.ALREADY_EXISTS, 409),
        FAILED_PRECONDITION(Status.Code.FAILED_PRECONDITION, 409),
        RESOURCE_EXHAUSTED(Status.Code.RESOURCE_EXHAUSTED, 429),
        UNAVAILABLE(Status.Code.UNAVAILABLE, 503),
        INTERNAL(Status.Code.INTERNAL, 500);

        private final Status.Code grpc;
        private final int http;

        Kind(Status.Code grpc, int http) {
            this.grpc = grpc;
            this.http = http;
        }
    }

    private final Kind kind;
    private final Optional<String> field;

    public AppError(Kind kind, String message, Optional<String> field) {
        super(message, null, false, false);
        this.kind = kind;
        this.field = field;
    }

    /** An error whose field is read from the message's {@code field: } prefix, if it has one. */
    public static AppError of(Kind kind, String message) {
        return new AppError(kind, message, fieldOf(message));
    }

    /** Classifies any failure; unexpected ones are logged here and described to the caller only generically. */
    public static AppError of(Throwable t) {
        if (t instanceof AppError e) {
            return e;
        }
        if (t instanceof CoordinatorException ce) {
            return of(kindOf(ce), ce.getMessage());
        }
        if (t instanceof StoreException) {
            log.error("store failure while serving a call", t);
            return new AppError(Kind.INTERNAL, "coordinator store error", Optional.empty());
        }
        log.error("unexpected failure while serving a call", t);
        return new AppError(Kind.INTERNAL, "internal error", Optional.empty());
    }

    private static Kind kindOf(CoordinatorException ce) {
        if (ce instanceof CoordinatorException.NotFound) {
            return Kind.NOT_FOUND;
        } else if (ce instanceof CoordinatorException.InvalidArgument) {
            return Kind.INVALID_ARGUMENT;
        } else if (ce instanceof CoordinatorException.FailedPrecondition) {
            return Kind.FAILED_PRECONDITION;
        } else if (ce instanceof CoordinatorException.AlreadyExists) {
            return Kind.ALREADY_EXISTS;
        } else if (ce instanceof CoordinatorException.Unauthenticated) {
            return Kind.UNAUTHENTICATED;
        } else if (ce instanceof CoordinatorException.PermissionDenied) {
            return Kind.PERMISSION_DENIED;
        } else if (ce instanceof CoordinatorException.ResourceExhausted) {
            return Kind.RESOURCE_EXHAUSTED;
        }
        return Kind.UNAVAILABLE;
    }

    private static Optional<String> fieldOf(String message) {
        Matcher m = FIELD_PREFIX.matcher(message == null ? "" : message);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    public Kind kind() {
        return kind;
    }

    public Optional<String> field() {
        return field;
    }

    /** The gRPC status for this error (the one mapping to gRPC). */
    public Status grpcStatus() {
        return Status.fromCode(kind.grpc).withDescription(getMessage());
    }

    /** The HTTP status for this error (the one mapping to HTTP). */
    public int httpStatus() {
        return kind.http;
    }
}
