package io.fedlora.coordinator;

/** One adapter version's bytes (a safetensors file) with its hash. */
public record AdapterBlob(int version, String sha256, byte[] data) {
    @Override
    public String toString() {
        return "AdapterBlob[version=" + version + ", sha256=" + sha256 + ", bytes=" + data.length + "]";
    }
}
