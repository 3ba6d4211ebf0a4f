package io.fedlora.deploy.local;

import io.fedlora.client.tls.CoordinatorChannels;
import io.fedlora.crypto.pki.PrivateFiles;
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A coordinator and client nodes as separate processes on loopback: the demo runs one, and so do
 * the end-to-end tests. Everything goes over mutual TLS as in a real deployment: this class is the
 * local admin (the credentials the coordinator wrote to its data dir) and enrols each client with
 * its own one-time token, handed over in an owner-only file. Closing stops the clients, then the
 * coordinator (reverse start order).
 */
public final class LocalFederation implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("coordinator listening on (\\S+):(\\d+)");

    private final Path workDir;
    private JavaProcess coordinator;
    private final List<String> coordinatorArgs;
    private final List<String> coordinatorJvmArgs;
    private final String address;
    private final List<JavaProcess> clients = new ArrayList<>();
    private final boolean insecureTransport;
    private ManagedChannel admin;

    private LocalFederation(Path workDir, JavaProcess coordinator, String address, boolean insecureTransport,
            List<String> coordinatorJvmArgs, List<String> coordinatorArgs) {
        this.coordinatorArgs = List.copyOf(coordinatorArgs);
        this.coordinatorJvmArgs = List.copyOf(coordinatorJvmArgs);
        this.workDir = workDir;
        this.coordinator = coordinator;
        this.address = address;
        this.insecureTransport = insecureTransport;
    }

    /** Starts a coordinator on an ephemeral loopback port and waits until it accepts connections. */
    public static LocalFederation startCoordinator(Path workDir, List<String> extraArgs) throws Exception {
        return startCoordinator(workDir, List.of(), extraArgs);
    }

    /** As {@link #startCoordinator(Path, List)}, the coordinator's JVM also given {@code jvmArgs}. */
    public static LocalFederation startCoordinator(Path workDir, List<String> jvmArgs, List<String> extraArgs)
            throws Exception {
        JavaProcess p = launchCoordinator(workDir, "0", jvmArgs, extraArgs, "coordinator.log");
        try {
            return new LocalFederation(workDir, p, listeningAddress(p), extraArgs.contains("--insecure-transport"),
                    jvmArgs, extraArgs);
        } catch (Exception e) {
            p.close();
            throw e;
        }
    }

    private static JavaProcess launchCoordinator(Path workDir, String port, List<String> jvmArgs,
            List<String> extraArgs, String logName) throws IOException {
        List<String> args = new ArrayList<>(List.of("coordinator", "--data-dir", workDir.resolve("coordinator").toString(),
                "--host", "127.0.0.1", "--port", port));
        args.addAll(extraArgs);
        return JavaProcess.start("coordinator", jvmArgs, args, workDir.resolve("logs/" + logName),
                line -> LISTENING.matcher(line).find());
    }

    private static String listeningAddress(JavaProcess p) throws Exception {
        Matcher m = LISTENING.matcher(p.awaitLine(Duration.ofSeconds(60)));
        if (!m.find()) {
            throw new IllegalStateException("unexpected listening line");
        }
        return m.group(1) + ":" + m.group(2);
    }

    /**
     * Kills the coordinator with SIGKILL, as a crash would, and starts it again on the same data dir
     * and port (the clients reconnect by themselves); its log goes to {@code logs/coordinator-N.log}.
     */
    public synchronized void crashAndRestartCoordinator(int restart) throws Exception {
        if (admin != null) {
            CoordinatorChannels.close(admin);
            admin = null;
        }
        coordinator.kill();
        String port = address.substring(address.lastIndexOf(':') + 1);
        coordinator = launchCoordinator(workDir, port, coordinatorJvmArgs, coordinatorArgs, "coordinator-" + restart + ".log");
        String again = listeningAddress(coordinator);
        if (!again.equals(address)) {
            throw new IllegalStateException("the restarted coordinator listens on " + again + ", not " + address);
        }
    }

    /**
     * Starts a client node process training on {@code data} with the model in {@code modelDir}. It enrols
     * on first start with a fresh one-time token (a restarted client reuses its certificate).
     */
    public JavaProcess startClient(String name, Path modelDir, Path data, List<String> extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("client", "--coordinator", address, "--model", modelDir.toString(),
                "--data", data.toString(), "--state-dir", workDir.resolve("clients/" + name).toString(), "--name", name));
        if (insecureTransport) {
            args.add("--insecure-transport");
        } else {
            Path tokenFile = workDir.resolve("tokens/" + name);
            PrivateFiles.writeSecret(tokenFile, TrustAdminServiceGrpc.newBlockingStub(adminChannel())
                    .createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder().setName(name).setRole("agent")
                            .setTtlSeconds(600).build()).getToken());
            args.addAll(List.of("--enroll-token-file", tokenFile.toString(), "--ca-cert", caCertificate().toString()));
        }
        args.addAll(extraArgs);
        JavaProcess p = JavaProcess.start(name, args, workDir.resolve("logs/" + name + ".log"), null);
        clients.add(p);
        return p;
    }

    public String address() {
        return address;
    }

    /** The coordinator's CA certificate (what clients trust it by). */
    public Path caCertificate() {
        return workDir.resolve("coordinator/pki/ca.crt");
    }

    /** The local admin's credentials, written by the coordinator at its first start. */
    public Path adminCredentials() {
        return workDir.resolve("coordinator/pki/admin");
    }

    /** A new channel to the coordinator as its local admin; the caller closes it. */
    public ManagedChannel openAdminChannel() throws IOException {
        return insecureTransport ? CoordinatorChannels.plaintext(address)
                : CoordinatorAddress.open(address, adminCredentials());
    }

    /** This federation's own admin channel (for enrollment tokens), closed with it. */
    private synchronized ManagedChannel adminChannel() throws IOException {
        if (admin == null) {
            admin = openAdminChannel();
        }
        return admin;
    }

    public synchronized JavaProcess coordinator() {
        return coordinator;
    }

    public List<JavaProcess> clients() {
        return List.copyOf(clients);
    }

    @Override
    public void close() throws InterruptedException {
        InterruptedException first = null;
        synchronized (this) {
            if (admin != null) {
                CoordinatorChannels.close(admin);
            }
        }
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
