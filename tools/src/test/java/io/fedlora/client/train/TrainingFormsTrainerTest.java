package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.data.JsonlExamples;
import io.fedlora.client.data.TinyTokenizerFiles;
import io.fedlora.client.data.TrainingData;
import io.fedlora.client.demo.RandomModels;
import io.fedlora.client.model.TestModels;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer reads chat and text data end to end: check, tokenize, train, evaluate. */
class TrainingFormsTrainerTest {

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void setUp() throws Exception {
        model = RandomModels.write(dir.resolve("model"), TestModels.tiny(false), 5);
        // A ChatML tokenizer in the model's vocabulary (50 ids), with a post-processor adding <s> ... </s>.
        TinyTokenizerFiles tok = TinyTokenizerFiles.write(model, List.of("<|im_start|>", "<|im_end|>"),
                "\n abcdefghijklmnopqrstuvwxyz.!", true);
        assertTrue(tok.size() <= TestModels.tiny(false).vocabSize());
        TinyTokenizerFiles.writeConfig(model, "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' "
                + "+ message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}", null, "<|im_end|>");
    }

    private static Path write(String name, String... lines) throws Exception {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    private static TrainOutcome trainTwoSteps(DjlLoraTrainer trainer) {
        LoraConfig lora = DjlLoraTrainerTest.lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, List.of("q_proj", "v_proj"));
        FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
        return trainer.train(new TrainRequest("job", 1, start, lora, DjlLoraTrainerTest.training(2, 1e-2)));
    }

    @Test
    void trainsAndScoresChatAndTextData() throws Exception {
        TrainingData chat = JsonlExamples.read(write("chat.jsonl",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello.\"}]}",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"name?\"},"
                        + "{\"role\":\"assistant\",\"content\":\"bob!\"}]}"));
        TrainingData text = JsonlExamples.read(write("text.jsonl", "{\"text\":\"once upon a time.\"}",
                "{\"text\":\"the end!\"}"));
        for (TrainingData data : List.of(chat, text)) {
            try (DjlLoraTrainer trainer = new DjlLoraTrainer(model, data)) {
                TrainOutcome o = trainTwoSteps(trainer);
                assertEquals(2, o.numExamples());
                assertTrue(Double.isFinite(o.meanLoss()) && o.meanLoss() > 0, data.file() + ": " + o.meanLoss());
                EvalResult r = trainer.exactMatch(null, 1, data.examples());
                assertEquals(2, r.examples());
                assertTrue(Double.isFinite(r.meanLoss()), data.file().toString());
                // chat: "hello.", "bob!" and their <|im_end|>; text: every token after <s>, </s> included.
                assertEquals(data == chat ? 7 + 5 : 18 + 9, r.tokens(), data.file().toString());
                // Per-example DP-SGD reads the same masks.
                TrainOutcome dp = trainTwoSteps(trainer.withDpSeededForTesting(new DpSgdConfig(1.0, 1.0, 1.0, 4), 3));
                assertTrue(Double.isFinite(dp.meanLoss()) && dp.meanLoss() > 0, data.file() + ": " + dp.meanLoss());
            }
        }
    }

    @Test
    void dataTheTemplateCannotTakeFailsWhenTheTrainerIsMade() throws Exception {
        // A model directory without tokenizer_config.json has no chat template: the trainer refuses chat data.
        Path bare = RandomModels.write(dir.resolve("bare"), TestModels.tiny(false), 6);
        TrainingData chat = JsonlExamples.read(write("one.jsonl",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"ok\"}]}"));
        var e = assertThrows(io.fedlora.client.model.ModelFormatException.class, () -> new DjlLoraTrainer(bare, chat));
        assertTrue(e.getMessage().contains("tokenizer_config.json: file not found"), e.getMessage());
    }
}
