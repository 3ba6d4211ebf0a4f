package io.fedlora.deploy.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The systemd units in {@code deploy/systemd}: {@code systemd-analyze verify} accepts them, they carry
 * the hardening the issue asks for, and {@code systemd-analyze security} rates their exposure at
 * most {@value #MAX_EXPOSURE} (the scores are written in docs/operations.md).
 */
class SystemdUnitsTest {

    static final double MAX_EXPOSURE = 2.0;
    private static final SystemTool ANALYZE = new SystemTool("systemd-analyze", "systemd");
    private static final Path UNITS = Path.of("systemd").toAbsolutePath();
    private static final Path LAUNCHER = Path.of("dist/bin/fedlora").toAbsolutePath();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"fedlora-coordinator.service", "fedlora-agent.service"})
    void verifyAcceptsTheUnit(String unit) throws Exception {
        Path copy = installed(unit);
        SystemTool.Output out = ANALYZE.run(dir, "verify", copy.toString());
        assertEquals(0, out.exit(), "systemd-analyze verify " + unit + ":\n" + out.text());
        assertEquals("", out.text().strip(), "no warnings from verify");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fedlora-coordinator.service", "fedlora-agent.service"})
    void theUnitIsHardened(String unit) throws Exception {
        String text = Files.readString(UNITS.resolve(unit));
        for (String line : List.of("User=fedlora", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                "PrivateTmp=yes", "Restart=on-failure", "CapabilityBoundingSet=")) {
            assertTrue(text.lines().anyMatch(l -> l.strip().equals(line)), unit + " has " + line);
        }
        String stateDir = text.lines().filter(l -> l.startsWith("StateDirectory=")).findFirst().orElseThrow()
                .substring("StateDirectory=".length());
        assertTrue(text.lines().anyMatch(l -> l.startsWith("ReadWritePaths=") && l.contains("/var/lib/" + stateDir)),
                unit + " may write its state directory and nothing else of the file system");

        SystemTool.Output security = ANALYZE.run(dir, "security", "--offline=true", installed(unit).toString());
        Matcher m = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d+)").matcher(security.text());
        assertTrue(m.find(), security.text());
        double exposure = Double.parseDouble(m.group(1));
        assertTrue(exposure <= MAX_EXPOSURE, unit + " exposure " + exposure + " > " + MAX_EXPOSURE);
    }

    @Test
    void theArchivesExampleSettingsNameEveryVariableTheUnitsUse() throws Exception {
        for (String[] pair : List.of(new String[] {"fedlora-coordinator.service", "coordinator.env"},
                new String[] {"fedlora-agent.service", "agent.env"})) {
            String unit = Files.readString(UNITS.resolve(pair[0]));
            String env = Files.readString(Path.of("dist/conf").resolve(pair[1]));
            Matcher m = Pattern.compile("\\$\\{?(FEDLORA_[A-Z_]+)").matcher(unit);
            while (m.find()) {
                assertTrue(env.lines().anyMatch(l -> l.startsWith(m.group(1) + "=")), pair[1] + " sets " + m.group(1));
            }
        }
    }

    /** The unit as installed, its launcher path pointing at this checkout's (verify checks that it exists). */
    private Path installed(String unit) throws Exception {
        Path copy = dir.resolve(unit);
        Files.writeString(copy, Files.readString(UNITS.resolve(unit)).replace("/opt/fedlora/bin/fedlora",
                LAUNCHER.toString()));
        return copy;
    }
}
