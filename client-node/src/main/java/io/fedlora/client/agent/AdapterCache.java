package io.fedlora.client.agent;

import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Global adapters already downloaded, as {@code dir/<sha256>.safetensors}, verified on every read. */
final class AdapterCache {

    private static final Logger log = LoggerFactory.getLogger(AdapterCache.class);
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    private final Path dir;

    AdapterCache(Path dir) {
        this.dir = dir;
    }

    Optional<byte[]> get(String sha256) throws IOException {
        Path f = path(sha256);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        byte[] b = Files.readAllBytes(f);
        if (!Sha256.hex(b).equals(sha256)) {
            log.warn("cached adapter {} is corrupted; discarding it", sha256);
            Files.deleteIfExists(f);
            return Optional.empty();
        }
        return Optional.of(b);
    }

    void put(String sha256, byte[] data) throws IOException {
        AtomicFiles.write(path(sha256), data);
    }

    private Path path(String sha256) {
        if (!SHA.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a sha256: " + sha256);
        }
        return dir.resolve(sha256 + ".safetensors");
    }
}
