package io.fedlora.crypto.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes key material readable by the owner only: directories 0700, files 0600, created with those
 * permissions (never widened afterwards), written to a temp file and moved into place so a crash
 * never leaves half a key.
 */
public final class PrivateFiles {

  private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private PrivateFiles() {}

  /** Creates {@code dir} (and parents) owner-only if it does not exist. */
  public static void createDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (POSIX) {
      Files.createDirectories(dir, attrs(PosixFilePermissions.fromString("rwx------")));
    } else {
      Files.createDirectories(dir);
    }
  }

  /** Writes {@code text} to {@code file}, mode 0600. */
  public static void writeSecret(Path file, String text) throws IOException {
    write(file, text.getBytes(StandardCharsets.US_ASCII), true);
  }

  /** Writes public material (certificates) atomically, mode 0644. */
  public static void writePublic(Path file, String text) throws IOException {
    write(file, text.getBytes(StandardCharsets.US_ASCII), false);
  }

  private static void write(Path file, byte[] data, boolean secret) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    createDirectory(parent);
    Path tmp = parent.resolve(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    if (POSIX) {
      Files.createFile(tmp, attrs(PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
    } else {
      Files.createFile(tmp);
    }
    try {
      Files.write(tmp, data, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Whether {@code file} is readable or writable by anyone but its owner (false where there are no POSIX modes). */
  public static boolean isExposed(Path file) throws IOException {
    if (!POSIX) {
      return false;
    }
    Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
    return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.GROUP_WRITE)
        || p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.OTHERS_WRITE);
  }

  private static FileAttribute<Set<PosixFilePermission>> attrs(Set<PosixFilePermission> p) {
    return PosixFilePermissions.asFileAttribute(p);
  }
}
