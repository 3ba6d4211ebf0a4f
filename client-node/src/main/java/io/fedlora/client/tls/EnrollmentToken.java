package io.fedlora.client.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A one-time enrollment token as the client holds it: a secret, so {@link #toString()} redacts it. */
public final class EnrollmentToken {

    private final String value;

    private EnrollmentToken(String value) {
        this.value = value;
    }

    public static EnrollmentToken of(String value) {
        String v = value.strip();
        if (v.isEmpty() || v.length() > 128 || !v.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("an enrollment token is 1-128 characters of [A-Za-z0-9._-]");
        }
        return new EnrollmentToken(v);
    }

    /** Reads a token from a file (so it need not appear on a command line). */
    public static EnrollmentToken readFrom(Path file) throws IOException {
        return of(Files.readString(file, StandardCharsets.US_ASCII));
    }

    /** The secret itself, for the Enroll request only. */
    String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "EnrollmentToken[redacted]";
    }
}
