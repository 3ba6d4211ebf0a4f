package io.fedlora.client.agent;

import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.SecretBytes;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;

/**
 * The node's long-term Ed25519 identity key: generated on first start, kept in the state dir as
 * its 32-byte seed, readable by the owner only. It signs the node's SecAgg key advertisements; its
 * public half is registered with the coordinator and never changes. The private half never leaves
 * the node and is never logged.
 */
final class IdentityKey {

    static final String FILE = "identity-ed25519.key";

    private IdentityKey() {}

    static Ed25519PrivateKey loadOrCreate(Path stateDir, SecureRandom random) throws IOException {
        Path file = stateDir.resolve(FILE);
        if (!Files.exists(file)) {
            create(file, random);
        }
        byte[] seed = Files.readAllBytes(file);
        try {
            if (seed.length != Ed25519PrivateKey.SIZE) {
                throw new IOException(file + ": an identity key file holds " + Ed25519PrivateKey.SIZE
                        + " bytes, this one has " + seed.length + " (delete it only if this node should become a"
                        + " new node)");
            }
            return Ed25519PrivateKey.fromSeed(SecretBytes.copyOf(seed));
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** Writes a fresh seed to a private temp file, then moves it in place (never a half-written key). */
    private static void create(Path file, SecureRandom random) throws IOException {
        byte[] seed = new byte[Ed25519PrivateKey.SIZE];
        random.nextBytes(seed);
        Path tmp = file.resolveSibling(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(Set.of(
                    java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                    java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)));
            Files.write(tmp, seed, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            try {
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AccessDeniedException e) {
                Files.deleteIfExists(tmp); // another process created it first: use theirs
            }
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }
}
