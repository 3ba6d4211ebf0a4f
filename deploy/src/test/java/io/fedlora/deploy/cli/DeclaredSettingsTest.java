package io.fedlora.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.config.ConfigDef;
import io.fedlora.config.ConfigValues;
import io.fedlora.config.Setting;
import io.fedlora.deploy.Fedlora;
import io.fedlora.deploy.jobs.JobSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The coordinator's and the client's flags come from their declarations, and mix with a file and the environment. */
class DeclaredSettingsTest {

    @TempDir
    Path dir;

    private static ConfigValues resolve(Object command, ConfigDef def, Path file, Map<String, String> env,
            String... args) {
        CommandLine.ParseResult parsed = new CommandLine(command).parseArgs(args);
        return def.resolve(Optional.ofNullable(file), env, SettingOptions.given(parsed, def));
    }

    @Test
    void aFlagBeatsTheEnvironmentWhichBeatsTheFile() throws Exception {
        Path f = Files.writeString(dir.resolve("c.properties"), "data-dir = /srv/c\nhost = 10.0.0.1\nport = 7000\n"
                + "max-call-burst = 5\n");
        ConfigValues v = resolve(new CoordinatorCommand(), CoordinatorSettings.DEF, f,
                Map.of("FEDLORA_HOST", "0.0.0.0", "FEDLORA_PORT", "8000", "FEDLORA_MAX_CALL_BURST", ""),
                "--config", f.toString(), "--port", "9000", "--tls-name", "a", "--tls-name", "b,c", "--no-dashboard",
                "--insecure-plaintext", "--fault-hold", "aggregate=1500", "--fault-hold", "publish=20");
        assertEquals(Path.of("/srv/c"), v.get(CoordinatorSettings.DATA_DIR));
        assertEquals("0.0.0.0", v.get(CoordinatorSettings.HOST));
        assertEquals(9000, v.get(CoordinatorSettings.PORT));
        assertEquals(5, v.get(CoordinatorSettings.MAX_CALL_BURST), "an empty variable is unset");
        assertEquals(List.of("a", "b", "c"), v.get(CoordinatorSettings.TLS_NAMES));
        assertFalse(v.get(CoordinatorSettings.DASHBOARD_ENABLED));
        assertTrue(v.get(CoordinatorSettings.INSECURE_PLAINTEXT));
        assertFalse(v.get(CoordinatorSettings.INSECURE_TRANSPORT));
        assertEquals(2, v.get(CoordinatorSettings.FAULT_HOLDS).size());
        assertEquals("flag --port", v.origin(CoordinatorSettings.PORT).orElseThrow().where());
    }

    @Test
    void theClientsDefaultsAreTheBuildersAndItsRulesAreChecked() {
        ConfigValues v = resolve(new ClientCommand(), AgentSettings.DEF, null, Map.of("FEDLORA_DATA", "/d.jsonl"),
                "--coordinator", "h:1", "--model", "/m", "--state-dir", "/s", "--privacy-budget", "4,8",
                "--renew-before", "30d");
        assertEquals(io.fedlora.client.agent.AgentConfig.DEFAULT_MIN_SECURE_COHORT,
                v.get(AgentSettings.MIN_SECURE_COHORT));
        assertEquals(List.of(4.0, 8.0), v.get(AgentSettings.PRIVACY_BUDGET));
        assertEquals(java.time.Duration.ofDays(30), v.get(AgentSettings.RENEW_BEFORE).remainingAtMost());
        assertEquals(Path.of("/d.jsonl"), v.get(AgentSettings.DATA));
        assertEquals("33%", AgentSettings.RENEW_BEFORE.defaultText());
    }

    @Test
    void helpShowsEveryDeclaredFlagWithItsDefaultButNoHiddenOne() {
        CommandLine cli = Fedlora.commandLine();
        String coordinator = cli.getSubcommands().get("coordinator").getUsageMessage(CommandLine.Help.Ansi.OFF);
        String client = cli.getSubcommands().get("client").getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (var pair : List.of(Map.entry(CoordinatorSettings.DEF, coordinator), Map.entry(AgentSettings.DEF, client))) {
            assertTrue(pair.getValue().contains("--config"), pair.getValue());
            for (Setting<?> s : pair.getKey().settings()) {
                s.flag().ifPresent(f -> assertEquals(!s.hidden(), pair.getValue().contains(f), f));
            }
        }
        assertTrue(coordinator.contains("Default: 7070."), coordinator);
        assertTrue(coordinator.replaceAll("\\s+", " ").contains("FEDLORA_DASHBOARD_PORT"), coordinator);
    }

    @Test
    void theArchivesExampleFilesLoad() {
        ConfigValues c = CoordinatorSettings.DEF.resolve(Optional.of(Path.of("dist/conf/coordinator.properties")),
                Map.of(), Map.of());
        assertEquals(7070, c.get(CoordinatorSettings.PORT));
        ConfigValues a = AgentSettings.DEF.resolve(Optional.of(Path.of("dist/conf/agent.properties")), Map.of(),
                Map.of());
        assertEquals("coordinator.example.org:7070", a.get(AgentSettings.COORDINATOR));
        ConfigValues j = JobSettings.DEF.resolve(Optional.of(Path.of("dist/conf/job.properties")), Map.of(), Map.of());
        assertEquals(1.1, j.get(JobSettings.DP_NOISE_MULTIPLIER));
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj"), j.get(JobSettings.TARGETS));
    }

    @Test
    void theJobCommandsTakeTheJobsDeclaredFlagsWithoutVariables() {
        CommandLine admin = Fedlora.commandLine().getSubcommands().get("admin");
        for (String name : List.of("create-job", "job-config")) {
            String help = admin.getSubcommands().get(name).getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertTrue(help.contains("--config"), help);
            for (Setting<?> s : JobSettings.DEF.settings()) {
                assertTrue(help.contains(s.flag().orElseThrow()), name + " " + s);
            }
            assertFalse(help.contains("Env:") || help.contains("FEDLORA_ROUNDS"), help);
            assertTrue(help.contains("Default: q_proj,v_proj."), help);
        }
        ConfigValues v = resolve(new AdminCommand.JobConfigJson(), JobSettings.DEF, null, Map.of(),
                "--model", "/m", "--fair-selection", "--targets", "q_proj", "--targets", "o_proj", "--lr", "0.01");
        assertTrue(v.get(JobSettings.FAIR_SELECTION));
        assertEquals(List.of("q_proj", "o_proj"), v.get(JobSettings.TARGETS));
        assertEquals(0.01, v.get(JobSettings.LEARNING_RATE));
    }

    /** The systemd units' EnvironmentFiles: every FEDLORA_ variable in them that names a setting is valid. */
    @Test
    void theUnitsEnvironmentFilesHoldValidSettings() throws Exception {
        Map<String, String> coordinatorEnv = envFile(Path.of("dist/conf/coordinator.env"));
        CoordinatorSettings.DEF.resolve(Optional.empty(), coordinatorEnv, Map.of("data-dir", "/var/lib/x"));
        Map<String, String> agentEnv = envFile(Path.of("dist/conf/agent.env"));
        AgentSettings.DEF.resolve(Optional.empty(), agentEnv, Map.of("model", "/m", "state-dir", "/s"));
    }

    private static Map<String, String> envFile(Path file) throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }
}
