package io.fedlora.deploy.cli;

import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.deploy.eval.EvalArm;
import io.fedlora.deploy.eval.EvalCharts;
import io.fedlora.deploy.eval.EvalPlan;
import io.fedlora.deploy.eval.EvalReport;
import io.fedlora.deploy.eval.BuiltInTask;
import io.fedlora.deploy.eval.EvalTask;
import io.fedlora.deploy.eval.JsonlTask;
import io.fedlora.deploy.eval.EvalRun;
import io.fedlora.deploy.eval.PrivacyUtilityEval;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedlora eval}: measurements of what federation and privacy cost in utility. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate utility against privacy.",
        subcommands = {EvalCommand.PrivacyUtility.class})
public final class EvalCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "privacy-utility", mixinStandardHelpOptions = true,
            description = "Runs every arm (centralised, local, federated, its variations and record-level DP-SGD at"
                    + " several epsilons) over the same task, clients, seeds and step budget in this process, and"
                    + " writes results.json, results.md and PNG charts into --out.")
    static final class PrivacyUtility implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--task", defaultValue = "letters",
                description = "letters (the demo task) or intents (intent classification, accuracy) (default: ${DEFAULT-VALUE}).")
        String task;

        @Option(names = "--train", paramLabel = "FILE.jsonl",
                description = "Training examples (instruction JSONL) dealt out to the clients; needs --held-out.")
        Path train;

        @Option(names = "--held-out", paramLabel = "FILE.jsonl", description = "Held-out examples scored after each round.")
        Path heldOutFile;

        @Option(names = "--examples-per-client", paramLabel = "N",
                description = "Examples in each client's data (default: 2048, 128 with --quick).")
        Integer examplesPerClient;

        @Option(names = "--local-steps", paramLabel = "N",
                description = "Local steps per client and round (default: 80, 8 with --quick).")
        Integer localSteps;

        @Option(names = "--clip", paramLabel = "C",
                description = "Per-example clip norm of DP-SGD (default: 0.5).")
        Double clip;

        @Option(names = "--learning-rate", paramLabel = "LR",
                description = "Learning rate of every arm (default: 2e-2).")
        Double learningRate;

        @Option(names = "--batch", paramLabel = "N",
                description = "Batch of every arm; the DP arms' sampling rate is batch / examples per client"
                        + " (default: 64, 16 with --quick).")
        Integer batch;

        @Option(names = "--rank", paramLabel = "R",
                description = "LoRA rank of every arm; alpha scales with it, keeping alpha / rank = "
                        + "2 (default: " + DemoDefaults.RANK + ").")
        Integer rank;

        @Option(names = "--model", paramLabel = "DIR", description = "Base model directory (default: the committed tiny model).")
        Path model;

        @Option(names = "--clients", defaultValue = "" + DemoDefaults.CLIENTS, description = "Clients (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--rounds", description = "Rounds (default: " + DemoDefaults.ROUNDS + ", 2 with --quick).")
        Integer rounds;

        @Option(names = "--seeds", description = "Seeds per arm (default: 3, 1 with --quick).")
        Integer seeds;

        @Option(names = "--alpha", defaultValue = "0.5", description = "Dirichlet concentration of the non-IID arm (default: ${DEFAULT-VALUE}).")
        double alpha;

        @Option(names = "--arms", split = ",", description = "Arms to run (default: all; with --quick: a subset).")
        List<String> arms;

        @Option(names = "--quick", description = "A tiny budget (minutes): checks that every arm and output works, measures nothing.")
        boolean quick;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where results.json, results.md and the PNGs go.")
        Path out;

        @Override
        public Integer call() throws Exception {
            EvalPlan plan = plan();
            DemoCommand.singleIntraOpThreadUnlessSet();
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw bad("--out must be a directory, " + out + " is a file");
            }
            List<EvalRun> runs = PrivacyUtilityEval.run(plan, System.out);
            EvalReport.write(out, plan, runs);
            EvalCharts.write(out, runs);
            System.out.print(EvalReport.markdown(plan, runs));
            System.out.println("wrote " + out.toAbsolutePath());
            return 0;
        }

        EvalPlan plan() {
            EvalTask evalTask = jsonlTask();
            if (evalTask == null) {
                evalTask = BuiltInTask.byName(task).orElseThrow(() -> bad("--task must be letters or intents, got '"
                        + task + "'"));
            }
            Path home = Path.of(System.getProperty("fedlora.home", "deploy")).toAbsolutePath();
            Path modelDir = model != null ? model : home.resolve("models/fedlora-tiny");
            if (!Files.isDirectory(modelDir)) {
                throw bad("--model: no model directory at " + modelDir);
            }
            List<EvalArm> chosen = new ArrayList<>();
            for (String name : arms != null ? arms : quick ? EvalArm.QUICK : EvalArm.names()) {
                EvalArm arm = EvalArm.byName(name).orElseThrow(() -> bad("--arms must be among " + EvalArm.names()
                        + ", got '" + name + "'"));
                if (arm.onDemoTaskOnly() && evalTask != BuiltInTask.LETTERS) {
                    if (arms != null) {
                        throw bad("--arms: " + name + " runs the many-client simulation of the letters task only");
                    }
                    continue;
                }
                chosen.add(arm);
            }
            int r = rounds != null ? rounds : quick ? 2 : DemoDefaults.ROUNDS;
            int s = seeds != null ? seeds : quick ? 1 : 3;
            try {
                EvalPlan plan = quick ? EvalPlan.quick(evalTask, modelDir, chosen, clients, r, s, alpha)
                        : EvalPlan.standard(evalTask, modelDir, chosen, clients, r, s, alpha);
                if (examplesPerClient != null || localSteps != null) {
                    plan = plan.withBudget(examplesPerClient != null ? examplesPerClient : plan.examplesPerClient(),
                            localSteps != null ? localSteps : plan.localSteps());
                }
                if (clip != null || learningRate != null || batch != null || rank != null) {
                    plan = plan.withTuning(clip, learningRate, batch, rank);
                }
                return plan;
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }

        /** The user's JSONL task, or null without --train/--held-out. */
        private EvalTask jsonlTask() {
            if (train == null && heldOutFile == null) {
                return null;
            }
            if (train == null || heldOutFile == null) {
                throw bad("--train and --held-out go together");
            }
            try {
                return new JsonlTask(read("--train", train), read("--held-out", heldOutFile), DemoDefaults.MAX_SEQ_LEN * 2);
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }

        private java.util.List<io.fedlora.client.data.InstructionExample> read(String flag, Path file) {
            try {
                return io.fedlora.client.data.JsonlInstructions.read(file);
            } catch (java.io.IOException | RuntimeException e) {
                throw bad(flag + ": cannot read " + file + ": " + e.getMessage());
            }
        }

        private CommandLine.ParameterException bad(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }
}
