package io.fedlora.deploy.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.bench.ModelBenchmark;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.train.TrainingBenchmark;
import io.fedlora.crypto.secagg.SecAggServer;
import io.fedlora.crypto.secagg.SecAggSimulation;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The demo, benchmark and simulation code lives in the tools module (fedlora-tools), not in the
 * production client-node and crypto jars. Works both against the installed jars (deploy alone) and
 * against the modules' target/classes (a reactor build without package).
 */
class ProductionJarsTest {

    /** The module a class was loaded from: "tools", "client-node", "crypto", ... */
    private static String module(Class<?> c) throws URISyntaxException {
        Path location = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        String name = location.getFileName().toString();
        if (Files.isRegularFile(location)) {
            // fedlora-tools-0.1.0-SNAPSHOT.jar
            assertTrue(name.startsWith("fedlora-") && name.endsWith(".jar"), c.getName() + " from " + location);
            return name.substring("fedlora-".length()).replaceFirst("-\\d[^/]*\\.jar$", "");
        }
        // MODULE/target/classes
        assertEquals("classes", name, c.getName() + " from " + location);
        return location.getParent().getParent().getFileName().toString();
    }

    @Test
    void theDemoBenchAndSimulationClassesLoadFromTheToolsModule() throws Exception {
        for (Class<?> c : List.of(DemoTask.class, ModelBenchmark.class, SecAggSimulation.class,
                TrainingBenchmark.class)) {
            assertEquals("tools", module(c), c.getName() + " from "
                    + c.getProtectionDomain().getCodeSource().getLocation());
        }
        assertEquals("client-node", module(LlamaConfig.class));
        assertEquals("crypto", module(SecAggServer.class));
    }

    @Test
    void theClientNodeAndCryptoArtifactsHoldNoDemoBenchOrSimulationClasses() throws Exception {
        for (Class<?> production : List.of(LlamaConfig.class, SecAggServer.class)) {
            Path location = Path.of(production.getProtectionDomain().getCodeSource().getLocation().toURI());
            List<String> found = new ArrayList<>();
            for (String entry : entries(location)) {
                if (entry.startsWith("io/fedlora/client/demo/") || entry.startsWith("io/fedlora/client/bench/")
                        || entry.startsWith("io/fedlora/client/train/TrainingBenchmark")
                        || entry.startsWith("io/fedlora/crypto/secagg/SecAggSimulation")) {
                    found.add(entry);
                }
            }
            assertTrue(found.isEmpty(), location + " holds " + found);
        }
    }

    private static List<String> entries(Path location) throws IOException {
        if (Files.isRegularFile(location)) {
            try (ZipFile zip = new ZipFile(location.toFile())) {
                return zip.stream().map(e -> e.getName()).toList();
            }
        }
        try (Stream<Path> files = Files.walk(location)) {
            return files.filter(Files::isRegularFile)
                    .map(f -> location.relativize(f).toString().replace('\\', '/')).toList();
        }
    }
}
