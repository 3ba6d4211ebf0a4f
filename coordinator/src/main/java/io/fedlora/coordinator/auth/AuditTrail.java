package io.fedlora.coordinator.auth;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.fedlora.coordinator.store.AuditChain;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.coordinator.store.AuditStore;
import io.grpc.Status;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes and verifies the append-only, hash-chained audit log: who (certificate subject and role), what (the RPC and the ids it
 * named), when (the coordinator's clock) and how it ended (OK or the status code). Only fields on an
 * allow-list are copied from messages, so a token, key, CSR or update can never reach the log.
 */
public final class AuditTrail {

    private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);

    /** Message fields that identify what an action was about; nothing secret is named like these. */
    private static final Set<String> TARGET_FIELDS = Set.of("job_id", "node_id", "subject_id", "name", "role",
            "version", "ttl_seconds", "reason", "certificates_revoked", "serial");

    private static final int VERIFY_PAGE = 1000;

    private final AuditStore store;
    private final InstantSource clock;

    public AuditTrail(AuditStore store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Records one action; a failure to write is logged, never turned into the caller's failure. */
    public void record(String actor, String actorRole, String action, String target, Status outcome) {
        String result = outcome.isOk() ? "OK" : outcome.getCode().name();
        String detail = outcome.isOk() || outcome.getDescription() == null ? "" : outcome.getDescription();
        record(actor, actorRole, action, target, result, detail);
    }

    /** Records one action with its outcome already named ({@code OK} or a status code's name). */
    public void record(String actor, String actorRole, String action, String target, String result, String detail) {
        try {
            store.appendAudit(new AuditRecord(0, clock.millis(), actor, actorRole, action, target, result, detail));
        } catch (RuntimeException e) {
            log.error("could not append to the audit log: {} {} by {} -> {}", action, target, actor, result, e);
        }
    }

    /** Recomputes the whole hash chain from the store, a page at a time; names the first entry that breaks it. */
    public AuditChain.Verification verify() {
        AuditChain.Verifier v = new AuditChain.Verifier();
        long after = 0;
        while (true) {
            List<AuditRecord> page = store.auditLog(after, VERIFY_PAGE);
            for (AuditRecord e : page) {
                if (!v.check(e)) {
                    return v.result();
                }
                after = e.seq();
            }
            if (page.size() < VERIFY_PAGE) {
                return v.result();
            }
        }
    }

    /** {@code field=value} pairs of the allow-listed, non-empty top-level fields of {@code m}. */
    static String describe(Message m) {
        List<String> parts = new ArrayList<>();
        for (var e : m.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            if (TARGET_FIELDS.contains(f.getName()) && !f.isRepeated() && f.getType() != FieldDescriptor.Type.BYTES
                    && f.getType() != FieldDescriptor.Type.MESSAGE) {
                parts.add(f.getName() + "=" + e.getValue());
            }
        }
        return String.join(" ", parts);
    }
}
