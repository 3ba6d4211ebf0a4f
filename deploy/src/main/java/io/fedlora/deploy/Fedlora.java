package io.fedlora.deploy;

import io.fedlora.deploy.cli.AdminCommand;
import io.fedlora.deploy.cli.BenchCommand;
import io.fedlora.deploy.cli.ClientCommand;
import io.fedlora.deploy.cli.CoordinatorCommand;
import io.fedlora.deploy.cli.DemoCommand;
import io.fedlora.deploy.cli.DoctorCommand;
import io.fedlora.deploy.cli.EnrollCommand;
import io.fedlora.deploy.cli.EvalCommand;
import io.fedlora.deploy.cli.ModelCommand;
import io.fedlora.deploy.cli.PrivacyCommand;
import io.fedlora.deploy.local.ParentWatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single {@code fedlora} entry point; every subcommand has {@code --help}. */
@Command(name = "fedlora", mixinStandardHelpOptions = true, version = "fedlora 0.1.0",
        description = "Privacy-preserving federated LoRA fine-tuning.",
        subcommands = {CoordinatorCommand.class, ClientCommand.class, DemoCommand.class, ModelCommand.class,
            BenchCommand.class, PrivacyCommand.class, AdminCommand.class, EnrollCommand.class,
            DoctorCommand.class, EvalCommand.class})
public final class Fedlora implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        ParentWatch.exitWhenParentExits();
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Fedlora());
        cli.setExecutionExceptionHandler(new CliErrors());
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
