package io.fedlora.deploy.eval;

import io.fedlora.client.data.InstructionExample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small intent-classification task, generated here (no download, nothing to license): short
 * smart-home and assistant requests, each labelled with one of six intents; the metric is accuracy
 * (exact match of the label). Utterances come from phrasings with slots (rooms, times, people,
 * places), so held-out requests combine words in ways a client may not have seen. Only characters
 * the demo tokenizer knows (lower case, digits, space and a few signs).
 */
public final class IntentTask {

    public static final String INSTRUCTION = "intent";
    /** A prompt of the instruction, a request and a label fits in this many tokens (the tiny model has 64 positions). */
    public static final int MAX_SEQ_LEN = 48;

    private static final String[] ROOMS = {"kitchen", "hall", "bedroom", "garage", "office", "attic"};
    private static final String[] TIMES = {"7", "8", "6 30", "noon", "9 15", "5"};
    private static final String[] PEOPLE = {"mum", "dad", "ana", "tom", "li", "sam"};
    private static final String[] PLACES = {"paris", "oslo", "rome", "lima", "cairo", "home"};
    private static final String[] SONGS = {"jazz", "rock", "a song", "the radio", "my list", "blues"};
    private static final String[] MINUTES = {"5", "10", "20", "3", "45", "90"};

    private record Intent(String label, String[] slots, String... phrasings) {}

    private static final List<Intent> INTENTS = List.of(
            new Intent("lights", ROOMS, "lights on in the %s", "turn off %s lamp", "dim the %s", "%s lights off",
                    "brighter in the %s"),
            new Intent("alarm", TIMES, "wake me at %s", "alarm for %s", "set alarm %s", "get me up at %s"),
            new Intent("call", PEOPLE, "call %s", "ring %s now", "phone %s", "dial %s please"),
            new Intent("weather", PLACES, "weather in %s", "is it cold in %s", "rain in %s?", "forecast %s"),
            new Intent("music", SONGS, "play %s", "put on %s", "some %s please", "i want %s"),
            new Intent("timer", MINUTES, "timer %s min", "count down %s minutes", "%s minute timer", "remind me in %s"));

    private IntentTask() {}

    public static List<String> labels() {
        return INTENTS.stream().map(Intent::label).toList();
    }

    /** {@code n} requests with intents drawn uniformly, from one seeded stream. */
    public static List<InstructionExample> examples(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<InstructionExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Intent intent = INTENTS.get(rnd.nextInt(INTENTS.size()));
            String phrasing = intent.phrasings()[rnd.nextInt(intent.phrasings().length)];
            String request = String.format(phrasing, intent.slots()[rnd.nextInt(intent.slots().length)]);
            out.add(new InstructionExample(INSTRUCTION, request, intent.label()));
        }
        return out;
    }

    /** The label an example is split by. */
    public static String label(InstructionExample e) {
        return e.output();
    }
}
