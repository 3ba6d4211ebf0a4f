package io.fedlora.coordinator.ha;

import io.fedlora.adapter.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * This coordinator's name in the lease, kept in {@code <data-dir>/coordinator-id}: the same across
 * restarts, so a restarted active coordinator takes its own lease back at once instead of waiting
 * for it to lapse.
 */
public final class CoordinatorId {

    static final String FILE = "coordinator-id";

    private CoordinatorId() {}

    public static String loadOrCreate(Path dataDir) throws IOException {
        Path f = dataDir.resolve(FILE);
        if (Files.exists(f)) {
            String id = Files.readString(f, StandardCharsets.UTF_8).trim();
            if (!id.matches("[A-Za-z0-9._-]{1,100}")) {
                throw new IOException(f + ": not a coordinator id (1-100 of A-Z a-z 0-9 . _ -): delete it to make a new one");
            }
            return id;
        }
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        String id = "coordinator-" + HexFormat.of().formatHex(b);
        Files.createDirectories(dataDir);
        AtomicFiles.writeString(f, id);
        return id;
    }
}
