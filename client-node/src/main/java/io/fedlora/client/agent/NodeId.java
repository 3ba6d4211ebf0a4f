package io.fedlora.client.agent;

import io.fedlora.adapter.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;

/** The id the coordinator assigned, kept in {@code stateDir/node-id} so it survives restarts. */
final class NodeId {

    private static final Logger log = AgentNode.LOG;

    private final Path file;
    private volatile String id;

    NodeId(Path stateDir) throws IOException {
        this.file = stateDir.resolve("node-id");
        this.id = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : "";
    }

    /** Empty before the first registration of a fresh state dir. */
    String get() {
        return id;
    }

    /** Takes the id a registration returned, persisting it first when it changed. */
    void adopt(String assigned) throws IOException {
        if (!assigned.equals(id)) {
            AtomicFiles.writeString(file, assigned);
            if (!id.isEmpty()) {
                log.warn("coordinator did not know node id {}; now registered as {}", id, assigned);
            }
            id = assigned;
        }
    }
}
