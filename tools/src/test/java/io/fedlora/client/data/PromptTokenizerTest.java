package io.fedlora.client.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.demo.CharTokenizerJson;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTokenizerTest {

    @TempDir
    Path dir;
    LlamaConfig config = TestModels.tiny(true);

    @BeforeEach
    void writeTokenizer() throws Exception {
        CharTokenizerJson.write(dir.resolve("tokenizer.json"), DemoTask.ALPHABET);
        config.write(dir.resolve("config.json"));
    }

    @Test
    void characterTokenizerRoundTripsEveryCharacter() throws Exception {
        try (PromptTokenizer tok = PromptTokenizer.load(dir, config)) {
            String text = "next\nhello world 42.,:;-=!?\nzz";
            long[] ids = tok.encode(text);
            assertEquals(text.length(), ids.length);
            for (int i = 0; i < ids.length; i++) {
                assertEquals(4 + DemoTask.ALPHABET.indexOf(text.charAt(i)), ids[i], "char " + i);
            }
            assertEquals(text, tok.decode(ids));
            // Special tokens are dropped when decoding.
            assertEquals("ab", tok.decode(new long[] {CharTokenizerJson.BOS, ids[0] == 0 ? 0 : tok.encode("a")[0],
                    tok.encode("b")[0], CharTokenizerJson.EOS}));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"qwen2", "qwen3"})
    void qwenSequencesStartWithoutTheBosTheirConfigNames(String modelType) throws Exception {
        LlamaConfig c = config;
        LlamaConfig qwen = new LlamaConfig(modelType, c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.vocabSize(),
                c.tieWordEmbeddings(), c.maxPositionEmbeddings(), c.attentionBias(), c.bosTokenId(), c.eosTokenId(),
                c.padTokenId());
        try (PromptTokenizer tok = PromptTokenizer.load(dir, qwen)) {
            TokenizedExample t = tok.tokenize(new InstructionExample("copy", "abc", "abc"), 64);
            assertEquals(tok.encode("c")[0], t.ids()[0], "no BOS before the prompt");
            assertEquals(13, t.length());
        }
    }

    @Test
    void masksOnlyAnswerTokensIncludingEos() throws Exception {
        try (PromptTokenizer tok = PromptTokenizer.load(dir, config)) {
            TokenizedExample t = tok.tokenize(new InstructionExample("copy", "abc", "abc"), 64);
            // <s> c o p y \n a b c \n | a b c </s>
            assertEquals(10, t.promptLength());
            assertEquals(14, t.length());
            assertEquals(CharTokenizerJson.BOS, t.ids()[0]);
            assertEquals(CharTokenizerJson.EOS, t.ids()[13]);
            assertFalse(t.truncated());
            Batch b = Batch.of(List.of(t, tok.tokenize(new InstructionExample("copy", "", "x"), 64)), tok.padId());
            assertEquals(13, b.length());
            float[] row0 = java.util.Arrays.copyOfRange(b.mask(), 0, 13);
            // target at input position t is token t+1: answer tokens are 10..13
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, row0);
            assertEquals(CharTokenizerJson.EOS, b.targets()[12]);
            // second example: <s> c o p y \n x </s> then padding, masked out
            float[] row1 = java.util.Arrays.copyOfRange(b.mask(), 13, 26);
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}, row1);
            assertEquals(tok.padId(), b.inputs()[13 + 12]);
            assertEquals(6, b.answerTokens());
        }
    }

    @Test
    void truncationIsCountedNotDropped() throws Exception {
        try (PromptTokenizer tok = PromptTokenizer.load(dir, config)) {
            List<InstructionExample> ex = List.of(new InstructionExample("copy", "abc", "abc"),
                    new InstructionExample("copy", "abcdefgh", "abcdefgh"));
            TokenizedDataset d = tok.tokenizeAll(ex, 14);
            assertEquals(2, d.size());
            assertEquals(1, d.truncatedCount());
            assertTrue(d.examples().get(1).truncated());
            assertEquals(14, d.examples().get(1).length());
        }
    }
}
