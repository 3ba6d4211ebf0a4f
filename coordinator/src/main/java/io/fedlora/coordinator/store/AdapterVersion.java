package io.fedlora.coordinator.store;

/**
 * A published global adapter: its bytes are the blob {@code sha256} (a safetensors file). A stateful
 * server strategy's state after producing it is the blob {@code strategyStateSha256} ('' for none).
 */
public record AdapterVersion(String jobId, int version, String sha256, long sizeBytes, long createdUnixMs,
        String strategyStateSha256) {

    public AdapterVersion {
        strategyStateSha256 = strategyStateSha256 == null ? "" : strategyStateSha256;
    }

    /** A version whose strategy keeps no state. */
    public AdapterVersion(String jobId, int version, String sha256, long sizeBytes, long createdUnixMs) {
        this(jobId, version, sha256, sizeBytes, createdUnixMs, "");
    }
}
