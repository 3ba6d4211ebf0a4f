package io.fedlora.coordinator.store;

/** A published global adapter: its bytes are the blob {@code sha256} (a safetensors file). */
public record AdapterVersion(String jobId, int version, String sha256, long sizeBytes, long createdUnixMs) {}
