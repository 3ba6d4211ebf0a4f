package io.fedlora.client.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the first line of a file that is not valid UTF-8. A BufferedReader decodes ahead of the
 * line it returns, so its error cannot say which line was bad; this rescan can. Lines end at
 * \n, \r or \r\n, as BufferedReader's do; neither byte occurs inside a multi-byte UTF-8 sequence.
 */
final class Utf8Lines {

    private Utf8Lines() {}

    /** The 1-based number of the first line that does not decode, or the last line if all do. */
    static long firstInvalid(Path file) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long n = 1;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            int b;
            while ((b = in.read()) != -1) {
                if (b != '\n' && b != '\r') {
                    line.write(b);
                    continue;
                }
                if (!decodes(utf8, line)) {
                    return n;
                }
                if (b == '\r') {
                    in.mark(1);
                    if (in.read() != '\n') {
                        in.reset();
                    }
                }
                line.reset();
                n++;
            }
        }
        if (line.size() > 0 && !decodes(utf8, line)) {
            return n;
        }
        return line.size() > 0 ? n : Math.max(1, n - 1);
    }

    private static boolean decodes(CharsetDecoder utf8, ByteArrayOutputStream line) {
        try {
            utf8.reset().decode(ByteBuffer.wrap(line.toByteArray()));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
