package io.fedlora.deploy.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image tarballs {@code mvn package -Pimages} writes with Jib (no Docker daemon): each image's
 * configuration (non-root numeric user, entrypoint, arguments, exposed ports, volumes, labels, JVM
 * memory flags) and the directory its volumes mount on, writable by group 0. Without {@code -Pimages}
 * there are no tarballs and this test is skipped, unless {@code -Dfedlora.images.required=true}
 * (as {@code .ci/run} runs it).
 */
class ContainerImageIT {

    private static final Path JIB = Path.of("target/jib").toAbsolutePath();
    private static final String VERSION = "0.1.0-SNAPSHOT";

    @TempDir
    Path dir;

    @Test
    void coordinatorImage() throws Exception {
        JsonNode config = imageConfig("fedlora-coordinator.tar", "fedlora/coordinator:" + VERSION).path("config");
        assertCommon(config, "coordinator");
        assertEquals(List.of("coordinator", "--data-dir", "/var/lib/fedlora", "--host", "0.0.0.0", "--port", "7070"),
                strings(config.path("Cmd")));
        assertTrue(config.path("ExposedPorts").has("7070/tcp"), "gRPC port: " + config.path("ExposedPorts"));
        assertTrue(config.path("ExposedPorts").has("8443/tcp"), "dashboard port: " + config.path("ExposedPorts"));
        assertTrue(config.path("Volumes").has("/var/lib/fedlora"));
        assertTrue(config.path("Labels").path("io.fedlora.healthcheck").asText().contains("doctor --only clock-skew"));
    }

    @Test
    void clientNodeImage() throws Exception {
        JsonNode config = imageConfig("fedlora-client.tar", "fedlora/client-node:" + VERSION).path("config");
        assertCommon(config, "client-node");
        assertEquals(List.of("client", "--state-dir", "/var/lib/fedlora"), strings(config.path("Cmd")));
        assertTrue(config.path("Volumes").has("/var/lib/fedlora") && config.path("Volumes").has("/var/cache/fedlora"));
        assertTrue(strings(config.path("Env")).contains("DJL_CACHE_DIR=/var/cache/fedlora/djl"));
    }

    private static void assertCommon(JsonNode config, String role) {
        String user = config.path("User").asText();
        assertTrue(user.matches("[1-9]\\d*:0"), "a numeric non-root user in group 0: " + user);
        List<String> entrypoint = strings(config.path("Entrypoint"));
        assertEquals("java", entrypoint.get(0));
        assertEquals("io.fedlora.deploy.Fedlora", entrypoint.get(entrypoint.size() - 1));
        assertTrue(entrypoint.contains("-XX:MaxRAMPercentage=60"), "heap sized from the container's limit");
        assertTrue(entrypoint.contains("-XX:+ExitOnOutOfMemoryError"));
        assertTrue(entrypoint.contains("-Dai.djl.offline=true"));
        JsonNode labels = config.path("Labels");
        assertEquals(role, labels.path("io.fedlora.role").asText());
        assertEquals(VERSION, labels.path("org.opencontainers.image.version").asText());
        assertTrue(labels.has("org.opencontainers.image.title"));
    }

    /** The image's config JSON, through index.json and the manifest; also checks the volume directories' layer. */
    private JsonNode imageConfig(String tarball, String refName) throws Exception {
        Path tar = JIB.resolve(tarball);
        if (!Files.exists(tar)) {
            assumeTrue(Boolean.getBoolean("fedlora.images.required"), "no " + tar
                    + ": build the images with mvn package -Pimages (they need the base image's registry)");
            throw new AssertionError(tar + " is missing although -Dfedlora.images.required=true");
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode index = json.readTree(entry(tar, "index.json"));
        JsonNode manifestRef = index.path("manifests").get(0);
        assertEquals(refName, manifestRef.path("annotations").path("org.opencontainers.image.ref.name").asText());
        JsonNode manifest = json.readTree(entry(tar, blob(manifestRef.path("digest").asText())));
        assertEquals("application/vnd.oci.image.manifest.v1+json", manifest.path("mediaType").asText(), "an OCI image");
        assertVolumeDirectoriesAreGroupWritable(tar, manifest);
        return json.readTree(entry(tar, blob(manifest.path("config").path("digest").asText())));
    }

    private void assertVolumeDirectoriesAreGroupWritable(Path tar, JsonNode manifest) throws Exception {
        List<String> listing = new ArrayList<>();
        for (JsonNode layer : manifest.path("layers")) {
            Path blob = dir.resolve(layer.path("digest").asText().replace(':', '-') + ".tgz");
            Files.write(blob, entry(tar, blob(layer.path("digest").asText())));
            listing.addAll(run("tar", "-tvzf", blob.toString()).lines().toList());
            Files.delete(blob);
        }
        assertTrue(listing.stream().anyMatch(l -> l.startsWith("drwxrwxr-x") && l.endsWith("var/lib/fedlora/")),
                "/var/lib/fedlora is a directory of mode 0775 in the image: " + listing.stream()
                        .filter(l -> l.contains("var/")).toList());
    }

    private static String blob(String digest) {
        return "blobs/sha256/" + digest.substring("sha256:".length());
    }

    private static byte[] entry(Path tar, String name) throws Exception {
        Process p = new ProcessBuilder("tar", "-xOf", tar.toString(), name).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "tar -xOf " + tar + " " + name);
        return out;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
