package io.fedlora.deploy.cli;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.PeftAdapterDir;
import io.fedlora.client.data.ChatMessage;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.JsonlExamples;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.infer.AdapterMerge;
import io.fedlora.client.infer.Generator;
import io.fedlora.client.infer.PeftAdapters;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.demo.Pretrainer;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.EvalResult;
import java.util.List;
import java.util.Locale;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Model tools: pretraining the demo base model, model identity. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Base model tools.",
        subcommands = {ModelCommand.Pretrain.class, ModelCommand.Score.class, ModelCommand.Merge.class,
            ModelCommand.Generate.class, ModelCommand.Sha.class})
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

    @Command(name = "score", mixinStandardHelpOptions = true,
            description = "Score a model (optionally with a PEFT adapter) on JSONL in instruction, chat or text form: "
                    + "loss per trained token (answer, assistant or every token), perplexity, exact match.")
    static final class Score implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Base model directory.")
        Path model;

        @Option(names = "--adapter", description = "PEFT adapter directory (adapter_config.json, adapter_model.safetensors).")
        Path adapter;

        @Option(names = "--data", required = true,
                description = "JSONL: instruction/input/output, messages (chat) or text; see docs/training-data.md.")
        Path data;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @picocli.CommandLine.Mixin
        BaseQuantizationOption quantization = new BaseQuantizationOption();

        @Override
        public Integer call() throws Exception {
            var examples = JsonlExamples.read(data);
            try (DjlLoraTrainer scorer = new DjlLoraTrainer(model, List.of(), quantization.value)) {
                scorer.tokenizer().check(examples);
                PeftAdapterDir.Loaded loaded = adapter == null ? null
                        : PeftAdapterDir.read(adapter, scorer.model().config().loraSites());
                EvalResult r = scorer.exactMatch(loaded == null ? null : loaded.adapter(),
                        loaded == null ? 0 : loaded.lora().getAlpha(), examples.examples());
                double ppl = Math.exp(r.meanLoss());
                if (json) {
                    System.out.printf(Locale.ROOT, "{\"examples\":%d,\"tokens\":%d,\"loss\":%.6f,\"perplexity\":%.4f,"
                            + "\"exact_match\":%.4f,\"truncated\":%d}%n", r.examples(), r.tokens(), r.meanLoss(), ppl,
                            r.exactMatch(), r.truncated());
                } else {
                    System.out.printf(Locale.ROOT, "%d examples, %d trained tokens: loss %.4f, perplexity %.3f, exact match %.1f%%%n",
                            r.examples(), r.tokens(), r.meanLoss(), ppl, 100 * r.exactMatch());
                }
            }
            return 0;
        }
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Write a merged Hugging Face checkpoint: W + (alpha/r)·B·A for every adapted projection.")
    static final class Merge implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Base model directory.")
        Path model;

        @Option(names = "--adapter", required = true, description = "PEFT adapter directory.")
        Path adapter;

        @Option(names = "--out", required = true, description = "Output directory (must not exist or be empty).")
        Path out;

        @Override
        public Integer call() throws Exception {
            AdapterMerge.Result r = AdapterMerge.merge(model, adapter, out);
            System.out.printf(Locale.ROOT, "merged %d projections (scale %.4f) into %s: %s%n", r.mergedProjections(),
                    r.scale(), r.outDir(), r.weightFiles());
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Complete an instruction prompt (greedy, or sampled with --temperature), with a KV cache.",
                "With --chat the prompt is a user message in the model's chat template (tokenizer_config.json)."})
    static final class Generate implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Base model directory.")
        Path model;

        @Option(names = "--adapter", description = "PEFT adapter directory.")
        Path adapter;

        @Option(names = "--prompt", required = true, description = "The instruction.")
        String prompt;

        @Option(names = "--input", defaultValue = "", description = "The instruction's input, if any.")
        String input;

        @Spec
        CommandSpec spec;

        @Option(names = "--chat", description = "Send the prompt as a user message through the model's chat template.")
        boolean chat;

        @Option(names = "--system", description = "With --chat: a system message before the user's.")
        String system;

        @Option(names = "--max-new-tokens", defaultValue = "32", description = "Default: ${DEFAULT-VALUE}.")
        int maxNew;

        @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).")
        double temperature;

        @Option(names = "--top-k", defaultValue = "0", description = "Sample from the k most likely tokens; 0 = all.")
        int topK;

        @Option(names = "--seed", defaultValue = "1", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @picocli.CommandLine.Mixin
        BaseQuantizationOption quantization = new BaseQuantizationOption();

        @Override
        public Integer call() throws Exception {
            try (ai.djl.ndarray.NDManager m = io.fedlora.client.model.ComputeDevice.newManager()) {
                LlamaModel llama = LlamaModel.load(model, m, quantization.value);
                try (PromptTokenizer tok = PromptTokenizer.load(model, llama.config());
                     LoraAdapters lora = adapter == null ? null : PeftAdapters.load(llama, adapter, m)) {
                    long[] promptIds = promptIds(tok, llama.config().maxPositionEmbeddings());
                    Generator.Options o = temperature > 0
                            ? Generator.Options.sampling(maxNew, temperature, topK, seed, tok.eosId())
                            : Generator.Options.greedy(maxNew, tok.eosId());
                    long[] out = new Generator(llama, lora).generate(promptIds, o);
                    int n = out.length > 0 && out[out.length - 1] == tok.eosId() ? out.length - 1 : out.length;
                    System.out.println(tok.decode(java.util.Arrays.copyOf(out, n)));
                }
            }
            return 0;
        }

        private long[] promptIds(PromptTokenizer tok, int maxPositions) throws java.io.IOException {
            if (!chat) {
                if (system != null) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--system needs --chat");
                }
                var tokenized = tok.tokenize(new InstructionExample(prompt, input, ""), maxPositions);
                return java.util.Arrays.copyOf(tokenized.ids(), tokenized.promptLength());
            }
            java.util.List<ChatMessage> messages = new java.util.ArrayList<>();
            if (system != null) {
                messages.add(ChatMessage.system(system));
            }
            messages.add(ChatMessage.user(input.isEmpty() ? prompt : prompt + "\n\n" + input));
            return tok.chatPrompt(messages);
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
