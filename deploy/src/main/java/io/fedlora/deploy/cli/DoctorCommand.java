package io.fedlora.deploy.cli;

import io.fedlora.deploy.doctor.Check;
import io.fedlora.deploy.doctor.CheckResult;
import io.fedlora.deploy.doctor.Doctor;
import io.fedlora.deploy.doctor.NodeChecks;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Checks a node's installation and its link to the coordinator, one line per check. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check this node: Java version, cores and memory, CUDA visibility, the model directory and its"
                + " sha256 against a job's, reachability of the coordinator, the TLS handshake, certificate expiry,"
                + " clock skew against the coordinator, the privacy ledger's integrity, free disk.",
            "One line per check (OK, WARN, FAIL or SKIP); exits 1 when any check fails."})
public final class DoctorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--coordinator", paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "The coordinator this node talks to (or every address, comma-separated: one must answer,"
                    + " and the other checks go to it); without it the network checks are skipped.")
    String coordinator;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The node's state directory (its 'fedlora client --state-dir'): credentials in tls/, the"
                    + " privacy ledger, free disk.")
    Path stateDir;

    @Option(names = "--credentials", paramLabel = "DIR",
            description = "TLS credentials to reach the coordinator with (client.crt, client.key, ca.crt); default"
                    + " STATE_DIR/tls. An operator's or the coordinator's DATA_DIR/pki/admin works too.")
    Path credentials;

    @Option(names = "--model", paramLabel = "DIR", description = "The base model directory the node trains.")
    Path model;

    @Option(names = "--model-sha256", paramLabel = "HEX",
            description = "The job's base model sha256 (baseModelSha256 in 'fedlora admin job'), to compare with.")
    String modelSha256;

    @Option(names = "--max-clock-skew", paramLabel = "DURATION", defaultValue = "5s",
            description = "Fail when the clocks differ by more (default: ${DEFAULT-VALUE}).")
    String maxClockSkew;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "For each network check (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--only", paramLabel = "CHECK", split = ",",
            description = "Run only these checks (by the names in the report), e.g. clock-skew for a container's"
                    + " health check.")
    List<String> only;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Path creds = credentials != null ? credentials : stateDir != null ? stateDir.resolve("tls") : null;
        if (coordinator != null && creds == null) {
            throw new IllegalArgumentException("--coordinator needs --state-dir or --credentials (the node's TLS"
                    + " credentials)");
        }
        if (modelSha256 != null && model == null) {
            throw new IllegalArgumentException("--model-sha256 needs --model");
        }
        List<Check> checks = NodeChecks.of(Optional.ofNullable(coordinator), creds, Optional.ofNullable(stateDir),
                Optional.ofNullable(model), Optional.ofNullable(modelSha256), duration("--max-clock-skew", maxClockSkew),
                duration("--timeout", timeout), InstantSource.system());
        if (only != null) {
            List<String> known = checks.stream().map(Check::name).toList();
            for (String name : only) {
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("--only: no check named '" + name + "' (checks: "
                            + String.join(", ", known) + ")");
                }
            }
            checks = checks.stream().filter(c -> only.contains(c.name())).toList();
        }
        List<CheckResult> results = new Doctor(checks).run();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Doctor.printJson(results, out);
        } else {
            Doctor.printLines(results, out);
        }
        return Doctor.anyFailed(results) ? 1 : 0;
    }

    private static Duration duration(String option, String value) {
        try {
            return TrustCommands.parseTtl(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": a number and a unit (s, m, h, d), e.g. 5s; got '"
                    + value + "'");
        }
    }
}
