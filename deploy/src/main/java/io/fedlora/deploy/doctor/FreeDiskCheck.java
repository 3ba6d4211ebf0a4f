package io.fedlora.deploy.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Free space where the node keeps its state (adapter cache, ledger, certificates): under 1 GiB fails
 * (an atomic ledger or adapter write can then run out), under 5 GiB warns.
 */
final class FreeDiskCheck implements Check {

    static final long FAIL_BELOW = 1L << 30;
    static final long WARN_BELOW = 5L << 30;

    private final Path dir;

    FreeDiskCheck(Path dir) {
        this.dir = dir;
    }

    @Override
    public String name() {
        return "disk";
    }

    @Override
    public CheckResult run() {
        Path existing = dir.toAbsolutePath().normalize();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return CheckResult.fail(name(), dir + ": no such directory or parent");
        }
        try {
            long free = Files.getFileStore(existing).getUsableSpace();
            String what = Bytes.human(free) + " free at " + existing;
            if (free < FAIL_BELOW) {
                return CheckResult.fail(name(), what + ": under " + Bytes.human(FAIL_BELOW));
            }
            return free < WARN_BELOW ? CheckResult.warn(name(), what + ": under " + Bytes.human(WARN_BELOW))
                    : CheckResult.ok(name(), what);
        } catch (IOException e) {
            return CheckResult.fail(name(), existing + ": " + e.getMessage());
        }
    }
}
