package io.fedlora.deploy.local;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A coordinator and client nodes as separate processes on loopback: the demo runs one, and so do
 * the end-to-end tests. Closing stops the clients, then the coordinator (reverse start order).
 */
public final class LocalFederation implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("coordinator listening on (\\S+):(\\d+)");

    private final Path workDir;
    private final JavaProcess coordinator;
    private final String address;
    private final List<JavaProcess> clients = new ArrayList<>();

    private LocalFederation(Path workDir, JavaProcess coordinator, String address) {
        this.workDir = workDir;
        this.coordinator = coordinator;
        this.address = address;
    }

    /** Starts a coordinator on an ephemeral loopback port and waits until it accepts connections. */
    public static LocalFederation startCoordinator(Path workDir, List<String> extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("coordinator", "--data-dir", workDir.resolve("coordinator").toString(),
                "--host", "127.0.0.1", "--port", "0"));
        args.addAll(extraArgs);
        JavaProcess p = JavaProcess.start("coordinator", args, workDir.resolve("logs/coordinator.log"),
                line -> LISTENING.matcher(line).find());
        try {
            Matcher m = LISTENING.matcher(p.awaitLine(Duration.ofSeconds(60)));
            if (!m.find()) {
                throw new IllegalStateException("unexpected listening line");
            }
            return new LocalFederation(workDir, p, m.group(1) + ":" + m.group(2));
        } catch (Exception e) {
            p.close();
            throw e;
        }
    }

    /** Starts a client node process training on {@code data} with the model in {@code modelDir}. */
    public JavaProcess startClient(String name, Path modelDir, Path data, List<String> extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("client", "--coordinator", address, "--model", modelDir.toString(),
                "--data", data.toString(), "--state-dir", workDir.resolve("clients/" + name).toString(), "--name", name));
        args.addAll(extraArgs);
        JavaProcess p = JavaProcess.start(name, args, workDir.resolve("logs/" + name + ".log"), null);
        clients.add(p);
        return p;
    }

    public String address() {
        return address;
    }

    public JavaProcess coordinator() {
        return coordinator;
    }

    public List<JavaProcess> clients() {
        return List.copyOf(clients);
    }

    @Override
    public void close() throws InterruptedException {
        InterruptedException first = null;
        for (int i = clients.size() - 1; i >= 0; i--) {
            try {
                clients.get(i).close();
            } catch (InterruptedException e) {
                first = first == null ? e : first;
            }
        }
        coordinator.close();
        if (first != null) {
            throw first;
        }
    }
}
