package io.fedlora.coordinator.store;

import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Blobs as files {@code dir/<sha256>}, written atomically and verified on every read. */
public final class FileBlobStore implements BlobStore {

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    private final Path dir;

    public FileBlobStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StoreException("cannot create blob directory " + dir, e);
        }
    }

    @Override
    public String put(byte[] data) {
        String sha = Sha256.hex(data);
        Path f = path(sha);
        if (!Files.exists(f)) {
            try {
                AtomicFiles.write(f, data);
            } catch (IOException e) {
                throw new StoreException("cannot write blob " + sha, e);
            }
        }
        return sha;
    }

    @Override
    public byte[] get(String sha256) {
        byte[] data;
        try {
            data = Files.readAllBytes(path(sha256));
        } catch (NoSuchFileException e) {
            throw new StoreException.BlobMissing("blob " + sha256 + " is missing", e);
        } catch (IOException e) {
            throw new StoreException("cannot read blob " + sha256, e);
        }
        if (!Sha256.hex(data).equals(sha256)) {
            throw new StoreException.BlobCorrupted("blob " + sha256 + " is corrupted: its content no longer matches its hash");
        }
        return data;
    }

    @Override
    public boolean contains(String sha256) {
        return Files.exists(path(sha256));
    }

    private Path path(String sha256) {
        if (!SHA.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a sha256: " + sha256);
        }
        return dir.resolve(sha256);
    }
}
