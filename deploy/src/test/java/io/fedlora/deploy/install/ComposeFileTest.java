package io.fedlora.deploy.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code deploy/compose/compose.yaml}: valid by Compose's own schema ({@code docker-compose config},
 * which needs no Docker daemon), the images the build makes, a coordinator with PostgreSQL and three
 * clients enrolled by an init step, state on named volumes, and no secret written in the file.
 */
class ComposeFileTest {

    private static final Path DIR = Path.of("compose").toAbsolutePath();
    private static final Path FILE = DIR.resolve("compose.yaml");
    private static final String VERSION = "0.1.0-SNAPSHOT";
    private static final Pattern SECRET_NAME = Pattern.compile("(?i)password|secret|token|key");

    @Test
    void composeItselfAcceptsTheFile() throws Exception {
        SystemTool.Output out = new SystemTool("docker-compose", "docker-compose").run(DIR, "-f", FILE.toString(),
                "config", "-q");
        assertEquals(0, out.exit(), "docker-compose config:\n" + out.text());
    }

    @Test
    void servicesImagesAndEnrollmentOrder() throws Exception {
        Map<String, Object> services = map(compose().get("services"));
        assertEquals(Set.of("postgres", "coordinator", "enroll", "client-1", "client-2", "client-3"), services.keySet());
        assertEquals("fedlora/coordinator:" + VERSION, map(services.get("coordinator")).get("image"));
        assertEquals("fedlora/coordinator:" + VERSION, map(services.get("enroll")).get("image"));
        assertTrue(String.valueOf(map(services.get("postgres")).get("image")).startsWith("postgres:15"));
        for (String client : List.of("client-1", "client-2", "client-3")) {
            Map<String, Object> c = map(services.get(client));
            assertEquals("fedlora/client-node:" + VERSION, c.get("image"), client);
            assertEquals("service_completed_successfully", map(map(c.get("depends_on")).get("enroll")).get("condition"),
                    client + " starts once enrollment is done");
            List<String> cmd = strings(c.get("command"));
            assertEquals("/enroll/" + client + ".token", cmd.get(cmd.indexOf("--enroll-token-file") + 1));
            assertEquals(client, cmd.get(cmd.indexOf("--name") + 1));
        }
        assertEquals("service_healthy", map(map(map(services.get("enroll")).get("depends_on")).get("coordinator"))
                .get("condition"));
        assertTrue(map(services.get("coordinator")).containsKey("healthcheck"));
    }

    @Test
    void stateLivesOnDeclaredVolumes() throws Exception {
        Map<String, Object> compose = compose();
        Set<String> declared = map(compose.get("volumes")).keySet();
        Map<String, Object> services = map(compose.get("services"));
        for (String name : List.of("coordinator", "client-1", "client-2", "client-3", "postgres")) {
            List<String> mounts = strings(map(services.get(name)).get("volumes"));
            String stateDir = name.equals("postgres") ? "/var/lib/postgresql/data" : "/var/lib/fedlora";
            String state = mounts.stream().filter(m -> m.split(":")[1].equals(stateDir)).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " keeps " + stateDir + " on a volume: " + mounts));
            assertTrue(declared.contains(state.split(":")[0]), name + ": " + state + " is a named volume");
            for (String m : mounts) {
                String source = m.split(":")[0];
                if (!source.startsWith(".")) {
                    assertTrue(declared.contains(source), name + " mounts undeclared volume " + source);
                }
            }
        }
    }

    @Test
    void noSecretIsWrittenInTheFile() throws Exception {
        Map<String, Object> compose = compose();
        List<String> inline = new ArrayList<>();
        map(compose.get("services")).forEach((name, s) -> {
            Object env = map(s).get("environment");
            if (env instanceof Map<?, ?> vars) {
                vars.forEach((k, v) -> {
                    if (SECRET_NAME.matcher(k.toString()).find() && !k.toString().endsWith("_FILE")) {
                        inline.add(name + ": environment " + k);
                    }
                });
            }
            List<String> cmd = strings(map(s).get("command"));
            for (int i = 0; i < cmd.size() - 1; i++) {
                if (cmd.get(i).startsWith("--") && SECRET_NAME.matcher(cmd.get(i)).find()
                        && !cmd.get(i).endsWith("-file") && !cmd.get(i).equals("--ca-cert")) {
                    inline.add(name + ": command " + cmd.get(i));
                }
            }
        });
        assertEquals(List.of(), inline, "secrets given as values instead of files");
        for (Object secret : map(compose.get("secrets")).values()) {
            assertTrue(map(secret).containsKey("file"), "a secret comes from a file: " + secret);
        }
        String text = Files.readString(FILE);
        assertFalse(text.contains("BEGIN"), "no key material");
        assertTrue(Files.readString(DIR.resolve(".gitignore")).contains("secrets/*"), "the secret files stay out of git");
    }

    private static Map<String, Object> compose() throws Exception {
        return map(new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(FILE)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertTrue(o instanceof Map, "a mapping: " + o);
        return (Map<String, Object>) o;
    }

    private static List<String> strings(Object o) {
        if (o == null) {
            return List.of();
        }
        if (o instanceof String s) {
            return List.of(s);
        }
        assertTrue(o instanceof List, "a list: " + o);
        return ((List<?>) o).stream().map(String::valueOf).toList();
    }
}
