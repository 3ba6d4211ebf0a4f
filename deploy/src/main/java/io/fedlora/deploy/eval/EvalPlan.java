package io.fedlora.deploy.eval;

import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.client.demo.ManyClientSimulation;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code fedlora eval privacy-utility} runs: the arms over one task, the same clients, data,
 * seeds and step budget for all of them.
 *
 * @param seeds how many seeds each arm runs (seed j changes the clients' data and the training seed)
 * @param alpha the Dirichlet concentration of the non-IID arm
 * @param examplesPerClient examples in each client's slice
 * @param localSteps steps per client per round (the centralised arm takes clients × that per round)
 * @param delta the δ of every ε
 * @param clip the per-example clip norm of DP-SGD
 * @param rank the LoRA rank of every arm (alpha is scaled with it, so alpha / rank stays the demo's)
 * @param manyClients the many-client simulation of the client-level DP arms (its own clients and budget:
 *     hundreds of clients, each with its own data)
 */
public record EvalPlan(EvalTask task, Path modelDir, List<EvalArm> arms, int clients, int rounds, int seeds, double alpha,
        int examplesPerClient, int heldOut, int localSteps, int batch, double learningRate, double delta, double clip,
        int rank, ManyClientSimulation.Settings manyClients) {

    public EvalPlan {
        arms = List.copyOf(arms);
        require(!arms.isEmpty(), "--arms", "at least one arm");
        require(clients >= 2 && clients <= 26, "--clients", "between 2 and 26, got " + clients);
        require(rounds >= 1, "--rounds", "at least 1, got " + rounds);
        require(seeds >= 1, "--seeds", "at least 1, got " + seeds);
        require(alpha > 0 && Double.isFinite(alpha), "--alpha", "a finite number > 0, got " + alpha);
        require(examplesPerClient >= batch, "--examples-per-client", "at least the batch " + batch + ", got "
                + examplesPerClient);
        require(localSteps >= 1, "--local-steps", "at least 1, got " + localSteps);
        require(batch >= 1, "--batch", "at least 1, got " + batch);
        require(learningRate > 0 && Double.isFinite(learningRate), "--learning-rate", "a finite number > 0, got "
                + learningRate);
        require(clip > 0 && Double.isFinite(clip), "--clip", "a finite number > 0, got " + clip);
        require(rank >= 1 && rank <= 256, "--rank", "between 1 and 256, got " + rank);
        require(heldOut >= 1, "plan", "positive sizes");
    }

    private static void require(boolean ok, String what, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(what + " must be " + expected);
        }
    }

    /**
     * The record-level DP setup that kept 92% at ε = 8 in docs/benchmarks.md (2,048 examples per
     * client, batch 64, lr 2e-2, clip 0.5), for every arm so that only the noise differs.
     */
    public static EvalPlan standard(EvalTask task, Path modelDir, List<EvalArm> arms, int clients, int rounds, int seeds, double alpha) {
        return new EvalPlan(task, modelDir, arms, clients, rounds, seeds, alpha, 2048, DemoDefaults.HELD_OUT,
                DemoDefaults.LOCAL_STEPS, 64, 2e-2, 1e-5, 0.5, DemoDefaults.RANK, ManyClientSimulation.Settings.defaults());
    }

    /** A tiny budget that only shows that every arm and output works: minutes, not a measurement. */
    public static EvalPlan quick(EvalTask task, Path modelDir, List<EvalArm> arms, int clients, int rounds, int seeds, double alpha) {
        return new EvalPlan(task, modelDir, arms, clients, rounds, seeds, alpha, 128, 40, 8, 16, 2e-2, 1e-5, 0.5, DemoDefaults.RANK,
                new ManyClientSimulation.Settings(12, rounds, 2, 8, 4e-2, 32, ManyClientSimulation.DEFAULT_CLIP, 8, 1e-5,
                        40));
    }

    /** The same plan with another data size and local step budget (a run sized to the time at hand). */
    public EvalPlan withBudget(int perClient, int steps) {
        return new EvalPlan(task, modelDir, arms, clients, rounds, seeds, alpha, perClient, heldOut, steps, batch,
                learningRate, delta, clip, rank, manyClients);
    }

    /**
     * The same plan with what a DP practitioner tunes: clip norm, learning rate, batch (the sampling
     * rate q = batch / examples per client follows, and the accountant gives the matching noise) and
     * LoRA rank, for every arm so that the comparison stays like for like. Nulls keep the plan's value.
     */
    public EvalPlan withTuning(Double newClip, Double newLearningRate, Integer newBatch, Integer newRank) {
        return new EvalPlan(task, modelDir, arms, clients, rounds, seeds, alpha, examplesPerClient, heldOut, localSteps,
                newBatch != null ? newBatch : batch, newLearningRate != null ? newLearningRate : learningRate, delta,
                newClip != null ? newClip : clip, newRank != null ? newRank : rank, manyClients);
    }

    /** LoRA alpha at this plan's rank: the demo's alpha / rank ratio kept, so the update's scale does not move. */
    public double loraAlpha() {
        return DemoDefaults.ALPHA * rank / DemoDefaults.RANK;
    }

    /** Seed j's data seed: the demo's task seed for j = 0, others apart from it and the held-out set. */
    public long dataSeed(int seed) {
        return DemoDefaults.TASK_SEED + 7919L * seed;
    }

    public long trainingSeed(int seed) {
        return DemoDefaults.TRAINING_SEED + 104_729L * seed;
    }

    /** Every run: arms × seeds. */
    public int runs() {
        return arms.size() * seeds;
    }
}
