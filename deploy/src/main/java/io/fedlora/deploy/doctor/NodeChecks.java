package io.fedlora.deploy.doctor;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The checks of {@code fedlora doctor} for what it was told about a node, in report order. */
public final class NodeChecks {

    /** Where the agent keeps its privacy ledger in its state directory. */
    static final String LEDGER_FILE = "privacy-ledger.json";

    private NodeChecks() {}

    /**
     * @param coordinator HOST:PORT (or several, comma-separated: an active coordinator and its standbys), or
     *     empty to leave out the checks that need it
     * @param credentials the node's TLS credentials directory (STATE_DIR/tls)
     * @param stateDir the node's state directory (ledger, free disk), or empty for the working directory
     */
    public static List<Check> of(Optional<String> coordinator, Path credentials, Optional<Path> stateDir,
            Optional<Path> model, Optional<String> modelSha256, Duration maxClockSkew, Duration timeout,
            InstantSource clock) {
        List<Check> checks = new ArrayList<>(List.of(JavaRuntimeCheck.ofThisJvm(), CpuMemoryCheck.ofThisJvm(),
                new CudaCheck()));
        model.ifPresentOrElse(m -> checks.add(new ModelCheck(m, modelSha256)),
                () -> checks.add(skipped("model", "no --model given")));
        if (coordinator.isPresent()) {
            List<CoordinatorEndpoint> all = new ArrayList<>();
            for (String target : coordinator.get().split(",", -1)) {
                all.add(CoordinatorEndpoint.parse(target.strip(), credentials));
            }
            // With standbys listed, the other checks are about the one active now.
            CoordinatorEndpoint endpoint = all.size() == 1 ? all.get(0)
                    : ReachabilityCheck.firstAnswering(all, timeout).orElse(all.get(0));
            checks.add(new ReachabilityCheck(all, timeout));
            checks.add(new TlsHandshakeCheck(endpoint, timeout));
            checks.add(new CertificateExpiryCheck(endpoint, clock));
            checks.add(new ClockSkewCheck(endpoint, maxClockSkew, timeout, clock));
        } else {
            for (String name : List.of("reachability", "tls", "certificates", "clock-skew")) {
                checks.add(skipped(name, "no --coordinator given"));
            }
        }
        stateDir.ifPresentOrElse(d -> checks.add(new PrivacyLedgerCheck(d.resolve(LEDGER_FILE), clock)),
                () -> checks.add(skipped("privacy-ledger", "no --state-dir given")));
        checks.add(new FreeDiskCheck(stateDir.orElse(Path.of("."))));
        return checks;
    }

    private static Check skipped(String name, String why) {
        return new Check() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public CheckResult run() {
                return CheckResult.skip(name, why);
            }
        };
    }
}
