package io.fedlora.deploy.cli;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.client.demo.Pretrainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Model tools: pretraining the demo base model, model identity. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Base model tools.",
        subcommands = {ModelCommand.Pretrain.class, ModelCommand.Sha.class})
public final class ModelCommand {

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Pretrain the demo's tiny Llama model from scratch (the recipe of deploy/models/fedlora-tiny).")
    static final class Pretrain implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "Output model directory.")
        Path out;

        @Option(names = "--seed", description = "Seed (default: the committed recipe's).")
        Long seed;

        @Option(names = "--steps", description = "Optimizer steps (default: the committed recipe's).")
        Integer steps;

        @Override
        public Integer call() throws Exception {
            Pretrainer.Options d = Pretrainer.Options.defaults();
            Pretrainer.Options o = d.withSeedAndSteps(seed != null ? seed : d.seed(), steps != null ? steps : d.steps());
            Pretrainer.Result r = Pretrainer.run(out, o, System.out::println);
            System.out.printf("pretrained %s: %d steps, final loss %.4f, %.0f s; sha256 %s%n", r.dir(), r.steps(),
                    r.finalLoss(), r.seconds(), CheckpointFiles.sha256(out));
            return 0;
        }
    }

    @Command(name = "sha256", mixinStandardHelpOptions = true,
            description = "Print the model identity (sha256 over the weight files) that jobs name.")
    static final class Sha implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Model directory.")
        Path model;

        @Override
        public Integer call() throws Exception {
            System.out.println(CheckpointFiles.sha256(model));
            return 0;
        }
    }
}
