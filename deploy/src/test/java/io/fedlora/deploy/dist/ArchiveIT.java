package io.fedlora.deploy.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.client.demo.DemoTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive {@code mvn package} makes, unpacked into an empty directory: its layout, and a
 * real federation (a coordinator and three client processes over mutual TLS, enrolled with one-time
 * tokens, training the bundled demo model with secure aggregation, whose smallest cohort is three)
 * run from it alone.
 */
@Timeout(300)
class ArchiveIT {

    private static final int CLIENTS = 3;
    private static final Pattern LISTENING = Pattern.compile("coordinator listening on (\\S+):(\\d+)");

    @TempDir
    Path dir;

    @Test
    void unpackedArchiveHoldsLauncherLibrariesConfigurationModelAndNotices() throws Exception {
        try (ArchiveInstall install = ArchiveInstall.unpack(ArchiveInstall.builtArchive(), dir)) {
            Path home = install.home();
            assertTrue(home.getFileName().toString().matches("fedlora-\\d.*"), "top directory " + home.getFileName());
            assertTrue(Files.getPosixFilePermissions(home.resolve("bin/fedlora")).contains(
                    PosixFilePermission.OWNER_EXECUTE), "bin/fedlora is executable");
            for (String f : List.of("conf/logback.xml", "conf/coordinator.env", "conf/agent.env",
                    "conf/coordinator.properties", "conf/agent.properties", "conf/job.properties", "NOTICE", "README",
                    "models/fedlora-tiny/config.json", "models/fedlora-tiny/model.safetensors",
                    "models/fedlora-tiny/tokenizer.json", "systemd/fedlora-coordinator.service",
                    "systemd/fedlora-agent.service", "lib/fedlora-deploy.jar")) {
                assertTrue(Files.isRegularFile(home.resolve(f)), f + " is in the archive");
            }
            try (var jars = Files.list(home.resolve("lib"))) {
                assertTrue(jars.anyMatch(j -> j.getFileName().toString().startsWith("fedlora-coordinator-")),
                        "the coordinator's jar is in lib/");
            }
            String version = install.run(List.of("--version"));
            assertTrue(version.startsWith("fedlora "), version);
        }
    }

    @Test
    void aSecureFederationRunsFromTheUnpackedArchive() throws Exception {
        try (ArchiveInstall install = ArchiveInstall.unpack(ArchiveInstall.builtArchive(), dir)) {
            Path work = install.work();
            Path model = install.home().resolve("models/fedlora-tiny");
            Path data = work.resolve("coordinator");
            install.start("coordinator", List.of("coordinator", "--data-dir", data.toString(), "--host", "127.0.0.1",
                    "--port", "0"));
            Matcher m = LISTENING.matcher(install.awaitLogLine("coordinator", "coordinator listening on 127.0.0.1:",
                    Duration.ofSeconds(60)));
            assertTrue(m.find());
            String address = m.group(1) + ":" + m.group(2);
            List<String> admin = List.of("--coordinator", address, "--credentials", data.resolve("pki/admin").toString());

            DemoTask.Files task = DemoTask.write(work.resolve("task"), CLIENTS, 40, 10, 11);
            for (int i = 1; i <= CLIENTS; i++) {
                String name = "node-" + i;
                List<String> tokenArgs = new ArrayList<>(List.of("admin", "enroll-token", "--name", name, "--ttl", "10m"));
                tokenArgs.addAll(admin);
                Path token = work.resolve(name + ".token");
                Files.writeString(token, install.run(tokenArgs).strip());
                install.start(name, List.of("client", "--coordinator", address, "--name", name,
                        "--model", model.toString(), "--data", task.clientSlices().get(i - 1).toString(),
                        "--state-dir", work.resolve("state/" + name).toString(),
                        "--enroll-token-file", token.toString(), "--ca-cert", data.resolve("pki/ca.crt").toString()));
            }
            for (int i = 1; i <= CLIENTS; i++) {
                install.awaitLogLine("node-" + i, "started:", Duration.ofSeconds(90));
            }

            List<String> create = new ArrayList<>(List.of("admin", "create-job", "--model", model.toString(),
                    "--name", "from-archive", "--rounds", "1", "--clients-per-round", "" + CLIENTS,
                    "--min-clients", "" + CLIENTS,
                    "--local-steps", "3", "--batch-size", "4", "--max-seq-len", "32", "--secagg-dropout", "0",
                    "--start"));
            create.addAll(admin);
            String jobId = install.run(create).strip();

            // Wait on the coordinator's log rather than polling: each CLI call is a JVM start.
            install.awaitLogLine("coordinator", "job " + jobId + " completed", Duration.ofSeconds(180));
            List<String> show = new ArrayList<>(List.of("admin", "job", "--job", jobId));
            show.addAll(admin);
            JsonNode job = new ObjectMapper().readTree(install.run(show));
            assertEquals("JOB_STATE_COMPLETED", job.path("state").asText(), "job: " + job);
            assertEquals(1, job.path("completedRounds").asInt(), "job: " + job);
        }
    }
}
