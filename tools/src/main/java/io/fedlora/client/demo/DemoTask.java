package io.fedlora.client.demo;

import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.JsonlInstructions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's synthetic string tasks on random lower-case "words".
 *
 * <p>Pretraining teaches a mixture of operations ({@link #PRETRAIN_OPS}) so that the base model
 * learns to find the i-th letter of the input and map it. The fine-tuning task, {@link #TASK}
 * ("next": replace each letter by its successor, z wraps to a), is never seen in pretraining, so
 * the base model scores near zero on it. Client slices are non-IID: client k draws most letters
 * from its own quarter of the alphabet, so no client alone sees the whole mapping while the
 * held-out set uses the whole alphabet; federation is what covers it.
 */
public final class DemoTask {

    /** Every character the demo tokenizer knows (after the special tokens). */
    public static final String ALPHABET = "\n abcdefghijklmnopqrstuvwxyz0123456789.,:;-=!?";
    public static final List<String> PRETRAIN_OPS = List.of("copy", "reverse", "prev", "rotate");
    public static final String TASK = "next";
    public static final int MIN_WORD = 3;
    public static final int MAX_WORD = 7;
    /** Share of a client's letters drawn from its own part of the alphabet. */
    public static final double CLIENT_SKEW = 0.85;

    private DemoTask() {}

    public static String apply(String op, String w) {
        StringBuilder sb = new StringBuilder(w.length());
        switch (op) {
            case "copy" -> sb.append(w);
            case "reverse" -> sb.append(w).reverse();
            case "prev" -> w.chars().forEach(c -> sb.append((char) (c == 'a' ? 'z' : c - 1)));
            case "next" -> w.chars().forEach(c -> sb.append((char) (c == 'z' ? 'a' : c + 1)));
            case "rotate" -> sb.append(w, 1, w.length()).append(w.charAt(0));
            default -> throw new IllegalArgumentException("unknown demo op " + op);
        }
        return sb.toString();
    }

    public static InstructionExample example(String op, String word) {
        return new InstructionExample(op, word, apply(op, word));
    }

    /** A random word whose letters come from [from, to] with probability {@code skew}, else from a-z. */
    static String word(SplittableRandom rnd, char from, char to, double skew) {
        int len = MIN_WORD + rnd.nextInt(MAX_WORD - MIN_WORD + 1);
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            boolean local = rnd.nextDouble() < skew;
            sb.append(local ? (char) (from + rnd.nextInt(to - from + 1)) : (char) ('a' + rnd.nextInt(26)));
        }
        return sb.toString();
    }

    /** One pretraining example: a uniformly chosen op on a uniform word. */
    public static InstructionExample pretrainingExample(SplittableRandom rnd) {
        String op = PRETRAIN_OPS.get(rnd.nextInt(PRETRAIN_OPS.size()));
        return example(op, word(rnd, 'a', 'z', 0));
    }

    /** Letters [from, to] of client {@code client} (0-based) of {@code clients}. */
    static char[] letterRange(int client, int clients) {
        int from = client * 26 / clients;
        int to = (client + 1) * 26 / clients - 1;
        return new char[] {(char) ('a' + from), (char) ('a' + to)};
    }

    /** Client {@code client}'s (0-based) local dataset of the fine-tuning task. */
    public static List<InstructionExample> clientSlice(int client, int clients, int n, long seed) {
        if (client < 0 || client >= clients || clients > 26) {
            throw new IllegalArgumentException("client " + client + " of " + clients);
        }
        char[] r = letterRange(client, clients);
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + client + 1);
        List<InstructionExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(example(TASK, word(rnd, r[0], r[1], CLIENT_SKEW)));
        }
        return out;
    }

    /** Simulated clients: at most this many, so that their seeds stay apart from the demo's (see below). */
    public static final int MAX_SIMULATED_CLIENTS = 100_000;
    /** Offset of simulated clients' seeds past the demo's 26 possible client slices. */
    private static final long SIMULATED_SEED_OFFSET = 1_000;

    /**
     * Client {@code client}'s (0-based) own dataset of the fine-tuning task in a simulation of many
     * clients. Non-IID as the demo is: client k draws {@link #CLIENT_SKEW} of its letters from
     * quarter k mod 4 of the alphabet (the demo's 4 clients' quarters), the rest from a-z; every
     * client has its own random stream, so no two clients hold the same data. Seeds never meet the
     * demo's client slices or the held-out set of the same {@code seed}.
     */
    public static List<InstructionExample> simulatedClientSlice(int client, int n, long seed) {
        if (client < 0 || client >= MAX_SIMULATED_CLIENTS) {
            throw new IllegalArgumentException("simulated client " + client + " outside 0.." + (MAX_SIMULATED_CLIENTS - 1));
        }
        char[] r = simulatedLetterRange(client);
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + SIMULATED_SEED_OFFSET + client);
        List<InstructionExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(example(TASK, word(rnd, r[0], r[1], CLIENT_SKEW)));
        }
        return out;
    }

    /** The letters [from, to] most of simulated client {@code client}'s words are drawn from. */
    public static char[] simulatedLetterRange(int client) {
        return letterRange(client % DemoDefaults.CLIENTS, DemoDefaults.CLIENTS);
    }

    /** The held-out set: the fine-tuning task on words over the whole alphabet. */
    public static List<InstructionExample> heldOut(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L);
        List<InstructionExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(example(TASK, word(rnd, 'a', 'z', 0)));
        }
        return out;
    }

    /** Where {@link #write} put the files. */
    public record Files(List<Path> clientSlices, Path heldOut) {
        public Files {
            clientSlices = List.copyOf(clientSlices);
        }
    }

    /** Writes {@code client-1.jsonl} .. {@code client-N.jsonl} and {@code heldout.jsonl} into {@code dir}. */
    public static Files write(Path dir, int clients, int perClient, int heldOutSize, long seed) throws IOException {
        List<Path> slices = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            Path p = dir.resolve("client-" + (k + 1) + ".jsonl");
            JsonlInstructions.write(p, clientSlice(k, clients, perClient, seed));
            slices.add(p);
        }
        Path held = dir.resolve("heldout.jsonl");
        JsonlInstructions.write(held, heldOut(heldOutSize, seed));
        return new Files(slices, held);
    }
}
