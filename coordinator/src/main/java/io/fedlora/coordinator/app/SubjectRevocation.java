package io.fedlora.coordinator.app;

import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.NotFound;
import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.store.CertificateRecord;
import io.fedlora.coordinator.store.RevocationRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.trust.CoordinatorPki;
import io.fedlora.coordinator.trust.Revocations;
import java.time.InstantSource;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Revoking a node's or an operator's certificates, and dropping its connection, for either front door. */
public final class SubjectRevocation {

    private static final Logger log = LoggerFactory.getLogger(SubjectRevocation.class);

    /** How many certificates the subject had and whether it was connected when revoked. */
    public record Result(int certificatesRevoked, boolean wasConnected) {}

    private final Revocations revocations;
    private final ConnectedNodes nodes;
    private final Store store;
    private final InstantSource clock;

    public SubjectRevocation(Revocations revocations, ConnectedNodes nodes, Store store, InstantSource clock) {
        this.revocations = revocations;
        this.nodes = nodes;
        this.store = store;
        this.clock = clock;
    }

    /** Revokes {@code subject} for {@code by}; refuses an empty subject, oneself and the local admin. */
    public Result revoke(String subject, String reason, Principal by) {
        if (subject == null || subject.isEmpty()) {
            throw new InvalidArgument("subject_id: required (a node id or an operator's name)");
        }
        String why = reason == null ? "" : reason;
        if (why.length() > 256) {
            throw new InvalidArgument("reason: at most 256 characters");
        }
        if (subject.equals(by.name())) {
            throw new FailedPrecondition("subject_id: an admin cannot revoke their own certificate");
        }
        if (subject.equals(CoordinatorPki.LOCAL_ADMIN)) {
            // Revocation is permanent: the coordinator's own operator would be locked out for good.
            throw new FailedPrecondition("subject_id: the local admin cannot be revoked (if its key leaked, replace"
                    + " the CA)");
        }
        List<CertificateRecord> certs = store.certificates().stream()
                .filter(c -> c.subjectId().equals(subject)).toList();
        if (certs.isEmpty()) {
            throw new NotFound("subject_id: no certificate was issued to '" + subject + "'");
        }
        revocations.revoke(new RevocationRecord(subject, clock.millis(), by.name(), why));
        boolean wasConnected = nodes.drop(subject, "certificate revoked");
        log.warn("{} revoked by {}{}; {} certificate(s), {}", subject, by, why.isEmpty() ? "" : " (" + why + ")",
                certs.size(), wasConnected ? "its connection was dropped" : "it was not connected");
        return new Result(certs.size(), wasConnected);
    }

    public boolean isRevoked(String subject) {
        return revocations.isRevoked(subject);
    }
}
