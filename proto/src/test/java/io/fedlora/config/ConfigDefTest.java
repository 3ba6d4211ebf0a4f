package io.fedlora.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolution from a file, the environment and flags: precedence, and every problem reported at once. */
class ConfigDefTest {

    private static final Setting<Integer> PORT = Setting.define("port", ValueType.PORT).defaultValue(7070)
            .doc("Port.").build();
    private static final Setting<Integer> DASHBOARD_PORT = Setting.define("dashboard.port", ValueType.PORT)
            .defaultValue(7443).doc("Dashboard port.").build();
    private static final Setting<String> HOST = Setting.define("host", ValueType.STRING).defaultValue("127.0.0.1")
            .doc("Address.").build();
    private static final Setting<Path> DATA_DIR = Setting.define("data-dir", ValueType.PATH).required()
            .doc("State.").build();
    private static final Setting<Integer> COHORT = Setting.define("min-cohort", ValueType.INTEGER).defaultValue(3)
            .check(n -> n >= 3, "must be at least 3").doc("Cohort.").build();
    private static final Setting<String> PASSWORD = Setting.define("store.password", ValueType.STRING).secret()
            .doc("Password.").build();
    private static final Setting<Path> CERT = Setting.define("cert", ValueType.PATH).doc("Cert.").build();
    private static final Setting<Path> KEY = Setting.define("key", ValueType.PATH).doc("Key.").build();
    private static final Setting<String> REGION = Setting.define("s3.region", ValueType.STRING)
            .defaultValue("us-east-1").fallbackEnv("AWS_REGION").doc("Region.").build();

    private static final ConfigDef DEF = ConfigDef.of("test").add(PORT, DASHBOARD_PORT, HOST, DATA_DIR, COHORT,
            PASSWORD, CERT, KEY, REGION).together(CERT, KEY).build();

    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        return Files.writeString(dir.resolve("app.properties"), text);
    }

    private static ConfigException refused(Optional<Path> file, Map<String, String> env, Map<String, String> flags) {
        return assertThrows(ConfigException.class, () -> DEF.resolve(file, env, flags));
    }

    @Test
    void flagsBeatTheEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws Exception {
        Path f = file("# comment\nport = 1000\ndashboard.port = 1001\nhost = file.example\ndata-dir = /d\n");
        ConfigValues v = DEF.resolve(Optional.of(f), Map.of("FEDLORA_DASHBOARD_PORT", "2001", "FEDLORA_HOST",
                "env.example"), Map.of("host", "flag.example"));
        assertEquals(1000, v.get(PORT));
        assertEquals(2001, v.get(DASHBOARD_PORT));
        assertEquals("flag.example", v.get(HOST));
        assertEquals(3, v.get(COHORT));
        assertEquals(Origin.file(f, 2), v.origin(PORT).orElseThrow());
        assertEquals("environment variable FEDLORA_DASHBOARD_PORT", v.origin(DASHBOARD_PORT).orElseThrow().where());
        assertEquals("flag --host", v.origin(HOST).orElseThrow().where());
        assertTrue(v.isSet(PORT));
        assertFalse(v.isSet(COHORT));
    }

    @Test
    void aFallbackVariableCountsOnlyWhenTheOwnOneIsUnset() {
        Map<String, String> flags = Map.of("data-dir", "/d");
        assertEquals("eu-west-1", DEF.resolve(Optional.empty(), Map.of("AWS_REGION", "eu-west-1"), flags).get(REGION));
        assertEquals("eu-north-1", DEF.resolve(Optional.empty(), Map.of("AWS_REGION", "eu-west-1",
                "FEDLORA_S3_REGION", "eu-north-1"), flags).get(REGION));
        assertEquals("us-east-1", DEF.resolve(Optional.empty(), Map.of("FEDLORA_S3_REGION", ""), flags).get(REGION));
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsKeyAndSource() throws Exception {
        Path f = file("port = abc\nmin-cohort = 2\nnot.a.key = 1\nmalformed line\nport = 1\n");
        ConfigException e = refused(Optional.of(f), Map.of("FEDLORA_DASHBOARD_PORT", "70000"), Map.of("cert", "/c"));
        List<String> p = e.problems();
        assertEquals(java.util.Set.of(
                f + ":3: unknown key 'not.a.key'",
                f + ":4: expected 'key = value'",
                f + ":5: port is already set on line 1",
                "port: must be a port number, got 'abc' (" + f + ":1)",
                "dashboard.port: must be a port number in 0..65535, got '70000' (environment variable"
                        + " FEDLORA_DASHBOARD_PORT)",
                "data-dir: required; set --data-dir, FEDLORA_DATA_DIR or 'data-dir = ...' in the --config file",
                "min-cohort: must be at least 3, got '2' (" + f + ":2)",
                "--cert and --key go together"), java.util.Set.copyOf(p));
        assertTrue(e.getMessage().startsWith("invalid configuration, 8 problems:"), e.getMessage());
    }

    @Test
    void withoutEnvironmentAVariableChangesNothingAndNoMessageOffersOne() {
        ConfigDef jobs = ConfigDef.of("job").add(HOST, DATA_DIR).withoutEnvironment().build();
        assertFalse(jobs.readsEnvironment());
        ConfigException e = assertThrows(ConfigException.class, () -> jobs.resolve(Optional.empty(),
                Map.of("FEDLORA_DATA_DIR", "/d"), Map.of()));
        assertEquals(List.of("data-dir: required; set --data-dir, 'data-dir = ...' in the --config file"),
                e.problems());
        ConfigValues v = jobs.resolve(Optional.empty(), Map.of("FEDLORA_HOST", "env.example"), Map.of("data-dir", "/d"));
        assertEquals("127.0.0.1", v.get(HOST));
        assertTrue(DEF.readsEnvironment());
    }

    @Test
    void aTypeErrorFromAFlagNamesTheFlag() {
        ConfigException e = refused(Optional.empty(), Map.of(), Map.of("data-dir", "/d", "port", "abc"));
        assertEquals(List.of("port: must be a port number, got 'abc' (flag --port)"), e.problems());
    }

    @Test
    void aSecretIsNeverRepeatedAndHasNoFlag() throws Exception {
        Setting<Integer> pin = Setting.define("pin", ValueType.INTEGER).secret().doc("A PIN.").build();
        ConfigDef def = ConfigDef.of("t").add(pin, PASSWORD).build();
        Path f = file("pin = hunter2\n");
        ConfigException e = assertThrows(ConfigException.class, () -> def.resolve(Optional.of(f), Map.of(), Map.of()));
        assertEquals(List.of("pin: must be an integer (" + f + ":1)"), e.problems());
        assertTrue(pin.flag().isEmpty() && PASSWORD.flag().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> def.resolve(Optional.empty(), Map.of(),
                Map.of("store.password", "x")));
        assertEquals("s3cret", def.resolve(Optional.empty(), Map.of("FEDLORA_STORE_PASSWORD", "s3cret"), Map.of())
                .get(PASSWORD));
    }

    @Test
    void aMissingFileIsNamed() {
        Path none = dir.resolve("none.properties");
        ConfigException e = refused(Optional.of(none), Map.of(), Map.of("data-dir", "/d"));
        assertEquals(List.of(none + ": cannot read the configuration file (NoSuchFileException)"), e.problems());
    }

    @Test
    void declarationsAreCheckedWhenMade() {
        assertThrows(IllegalArgumentException.class, () -> Setting.define("Bad_Key", ValueType.STRING).doc("x").build());
        assertThrows(IllegalArgumentException.class, () -> Setting.define("k", ValueType.STRING).build());
        assertThrows(IllegalArgumentException.class, () -> Setting.define("k", ValueType.INTEGER).defaultValue(1)
                .check(n -> n > 1, "must be > 1").doc("x").build());
        assertThrows(IllegalArgumentException.class, () -> ConfigDef.of("t").add(PORT, PORT));
        Setting<Integer> other = Setting.define("other", ValueType.INTEGER).flag("--port").doc("x").build();
        assertThrows(IllegalArgumentException.class, () -> ConfigDef.of("t").add(PORT, other).build());
    }

    @Test
    void listsSplitOnCommas() {
        assertEquals(List.of("a", "b"), ValueType.STRINGS.parse("a, b,"));
        assertEquals(List.of(1.5, 2.0), ValueType.list(ValueType.DECIMAL).parse("1.5,2"));
        assertEquals("a,b", ValueType.STRINGS.format(List.of("a", "b")));
    }
}
