package io.fedlora.deploy.cli;

import io.fedlora.crypto.privacy.PrivacyCli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Privacy accounting for DP-SGD (Poisson-subsampled Gaussian mechanism). */
@Command(name = "privacy", mixinStandardHelpOptions = true, description = "Privacy accounting.",
        subcommands = {PrivacyCommand.Epsilon.class, PrivacyCommand.Noise.class})
public final class PrivacyCommand {

    /** The mechanism's options both subcommands share; validated by the accountant, which names the bad one. */
    static final class Mechanism {
        @Option(names = "--sampling-rate", required = true, description = "Poisson sampling rate q in (0, 1].")
        double q;

        @Option(names = "--steps", required = true, description = "Number of steps T.")
        int steps;

        @Option(names = "--delta", required = true, description = "Target delta in (0, 1).")
        double delta;

        @Option(names = "--accountant", defaultValue = "rdp", description = "rdp or prv (default: ${DEFAULT-VALUE}).")
        String accountant;
    }

    @Command(name = "epsilon", mixinStandardHelpOptions = true,
            description = "Epsilon spent by T steps of the subsampled Gaussian mechanism; last line: epsilon=<value>.")
    static final class Epsilon implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Mechanism m;

        @Option(names = "--noise-multiplier", required = true, description = "Noise multiplier sigma > 0.")
        double sigma;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println("epsilon=" + PrivacyCli.epsilon(m.q, sigma, m.steps, m.delta, m.accountant));
            return 0;
        }
    }

    @Command(name = "noise", mixinStandardHelpOptions = true,
            description = "Smallest noise multiplier meeting a target epsilon; last line: noise_multiplier=<value>.")
    static final class Noise implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Mechanism m;

        @Option(names = "--target-epsilon", required = true, description = "Target epsilon > 0.")
        double targetEpsilon;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println("noise_multiplier="
                    + PrivacyCli.noiseMultiplier(m.q, m.steps, m.delta, targetEpsilon, m.accountant));
            return 0;
        }
    }
}
