package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.Status;
import java.util.Set;

/** What the service fuzz tests share: the statuses a call may end with, and pointing requests at live state. */
final class ServiceFuzzing {

    /**
     * A refusal names a problem of the request or of the coordinator's state; INTERNAL, UNKNOWN
     * (an exception escaped) or DEADLINE_EXCEEDED (a call hung) is a bug.
     */
    static final Set<Status.Code> ALLOWED = Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
            Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION, Status.Code.ALREADY_EXISTS,
            Status.Code.UNAVAILABLE, Status.Code.RESOURCE_EXHAUSTED, Status.Code.CANCELLED);

    private ServiceFuzzing() {}

    static void assertAllowed(String call, Status status) {
        assertTrue(ALLOWED.contains(status.getCode()), () -> call + " ended with " + status);
    }

    /**
     * Sets the string or int32 field {@code name} of {@code m} (or of its {@code header}) to {@code value}:
     * fuzzed bytes rarely guess a node or job id, so the harness supplies live ones on request.
     */
    @SuppressWarnings("unchecked")
    static <M extends Message> M withField(M m, String name, Object value) {
        Message.Builder b = m.toBuilder();
        FieldDescriptor f = b.getDescriptorForType().findFieldByName(name);
        FieldDescriptor.JavaType type = value instanceof String ? FieldDescriptor.JavaType.STRING
                : FieldDescriptor.JavaType.INT;
        if (f != null && !f.isRepeated() && f.getJavaType() == type) {
            b.setField(f, value);
        }
        FieldDescriptor header = b.getDescriptorForType().findFieldByName("header");
        if (header != null && m.hasField(header)) {
            b.setField(header, withField((Message) m.getField(header), name, value));
        }
        return (M) b.build();
    }
}
