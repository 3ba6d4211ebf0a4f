package io.fedlora.coordinator.store;

/** A revoked subject (node id or operator name): all its certificates, now and later, are refused. */
public record RevocationRecord(String subjectId, long revokedUnixMs, String revokedBy, String reason) {

    public RevocationRecord {
        reason = reason == null ? "" : reason;
    }
}
