package io.fedlora.client.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityKeyTest {

    @TempDir
    Path dir;

    @Test
    void createdOnceOwnerOnlyAndStableAcrossRestarts() throws Exception {
        var first = IdentityKey.loadOrCreate(dir, new SecureRandom());
        Path file = dir.resolve(IdentityKey.FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(32, Files.size(file));
        assertEquals(first.publicKey(), IdentityKey.loadOrCreate(dir, new SecureRandom()).publicKey());
        assertTrue(first.toString().contains("redacted"));
    }

    @Test
    void aDamagedKeyFileIsAnErrorNotANewIdentity() throws Exception {
        Files.write(dir.resolve(IdentityKey.FILE), new byte[7]);
        IOException e = assertThrows(IOException.class, () -> IdentityKey.loadOrCreate(dir, new SecureRandom()));
        assertTrue(e.getMessage().contains(IdentityKey.FILE) && e.getMessage().contains("has 7"), e.getMessage());
    }
}
