package io.fedlora.client.privacy;

import java.io.IOException;
import java.nio.file.Path;

/** The ledger file fails its checksum or cannot be parsed: training must not start on a ledger we cannot trust. */
public final class LedgerCorruptException extends IOException {
    private static final long serialVersionUID = 1L;

    public LedgerCorruptException(Path file, String what) {
        super(file + ": privacy ledger is corrupt (" + what + "); refusing to train until it is restored");
    }
}
