package io.fedlora.coordinator;

/**
 * A domain failure with a meaning a caller can act on. Service code throws these; one mapper
 * ({@code service.StatusMapper}) turns them into gRPC statuses. Messages name the offending
 * field and never carry update values, keys or other secrets.
 */
public abstract sealed class CoordinatorException extends RuntimeException
        permits CoordinatorException.NotFound, CoordinatorException.InvalidArgument,
        CoordinatorException.FailedPrecondition, CoordinatorException.AlreadyExists,
        CoordinatorException.Unavailable, CoordinatorException.Unauthenticated,
        CoordinatorException.PermissionDenied, CoordinatorException.ResourceExhausted {

    private CoordinatorException(String message) {
        super(message, null, false, false);
    }

    /** The named job, node, round or adapter version does not exist. */
    public static final class NotFound extends CoordinatorException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The request itself is malformed; retrying it unchanged cannot succeed. */
    public static final class InvalidArgument extends CoordinatorException {
        public InvalidArgument(String message) {
            super(message);
        }
    }

    /** The request is well formed but the system is not in a state to accept it; don't retry until it changes. */
    public static final class FailedPrecondition extends CoordinatorException {
        public FailedPrecondition(String message) {
            super(message);
        }
    }

    /** What the caller tried to create (e.g. a round's update from a node) already exists. */
    public static final class AlreadyExists extends CoordinatorException {
        public AlreadyExists(String message) {
            super(message);
        }
    }

    /** Transient: the coordinator is shutting down or a dependency is away; retry the call. */
    public static final class Unavailable extends CoordinatorException {
        public Unavailable(String message) {
            super(message);
        }
    }

    /** The caller's credentials are missing, unknown, used up, expired or revoked. */
    public static final class Unauthenticated extends CoordinatorException {
        public Unauthenticated(String message) {
            super(message);
        }
    }

    /** The caller is known but may not do this (wrong role, or acting for another node). */
    public static final class PermissionDenied extends CoordinatorException {
        public PermissionDenied(String message) {
            super(message);
        }
    }

    /**
     * A bound on what one client may hold or ask for at a time is reached (uploads in flight, enrollment
     * tokens, metrics); the message names the bound and when retrying can help.
     */
    public static final class ResourceExhausted extends CoordinatorException {
        public ResourceExhausted(String message) {
            super(message);
        }
    }
}
