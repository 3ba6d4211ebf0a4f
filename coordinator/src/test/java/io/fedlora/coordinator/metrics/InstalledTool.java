package io.fedlora.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** A tool from a Debian package that .ci/run installs: missing, the test is skipped, or failed under CI. */
final class InstalledTool {

    private InstalledTool() { }

    static Path require(String path, String debianPackage) {
        Path p = Path.of(path);
        if (!Files.isExecutable(p)) {
            String how = path + " is missing: apt-get install -y " + debianPackage;
            if (System.getenv("CI") != null) {
                fail(how + " (CI must run this test)");
            }
            Assumptions.abort(how);
        }
        return p;
    }
}
