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
 * @param manyClients the many-client simulation of the client-level DP arms (its own clients and budget:
 *     hundreds of clients, each with its own data)
 */
public record EvalPlan(EvalTask task, Path modelDir, List<EvalArm> arms, int clients, int rounds, int seeds, double alpha,
        int examplesPerClient, int heldOut, int localSteps, int batch, double learningRate, double delta, double clip,
        ManyClientSimulation.Settings manyClients) {

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
        require(heldOut >= 1 && batch >= 1 && learningRate > 0, "plan", "positive sizes");
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
                DemoDefaults.LOCAL_STEPS, 64, 2e-2, 1e-5, 0.5, ManyClientSimulation.Settings.defaults());
    }

    /** A tiny budget that only shows that every arm and output works: minutes, not a measurement. */
    public static EvalPlan quick(EvalTask task, Path modelDir, List<EvalArm> arms, int clients, int rounds, int seeds, double alpha) {
        return new EvalPlan(task, modelDir, arms, clients, rounds, seeds, alpha, 128, 40, 8, 16, 2e-2, 1e-5, 0.5,
                new ManyClientSimulation.Settings(12, rounds, 2, 8, 4e-2, 32, ManyClientSimulation.DEFAULT_CLIP, 8, 1e-5,
                        40));
    }

    /** The same plan with another data size and local step budget (a run sized to the time at hand). */
    public EvalPlan withBudget(int perClient, int steps) {
        return new EvalPlan(task, modelDir, arms, clients, rounds, seeds, alpha, perClient, heldOut, steps, batch,
                learningRate, delta, clip, manyClients);
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
