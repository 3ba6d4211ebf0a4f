package io.fedlora.deploy.eval;

import io.fedlora.client.data.InstructionExample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A task from the user's own JSONL files ({@code --train}, {@code --held-out}): the training
 * examples are shuffled by the data seed and dealt out, round robin (IID) or by Dirichlet shares
 * over the answer as the label; each client gets up to {@code perClient} of them.
 */
public record JsonlTask(List<InstructionExample> train, List<InstructionExample> heldOutSet, int maxSeqLen)
        implements EvalTask {

    public JsonlTask {
        train = List.copyOf(train);
        heldOutSet = List.copyOf(heldOutSet);
        if (train.isEmpty() || heldOutSet.isEmpty()) {
            throw new IllegalArgumentException("--train and --held-out must each hold at least one example");
        }
    }

    @Override
    public String flagName() {
        return "jsonl";
    }

    @Override
    public List<InstructionExample> heldOut(int n) {
        return heldOutSet.subList(0, Math.min(n, heldOutSet.size()));
    }

    @Override
    public List<List<InstructionExample>> clientData(EvalArm.Split split, int clients, int perClient, double alpha,
            long dataSeed) {
        List<InstructionExample> pool = new ArrayList<>(train);
        java.util.Collections.shuffle(pool, new java.util.Random(new SplittableRandom(dataSeed).nextLong()));
        pool = pool.subList(0, Math.min(pool.size(), clients * perClient));
        if (pool.size() < clients) {
            throw new IllegalArgumentException("--train: " + pool.size() + " examples for " + clients + " clients");
        }
        if (split == EvalArm.Split.DIRICHLET) {
            return DirichletSplit.split(pool, InstructionExample::output, clients, alpha, dataSeed);
        }
        List<List<InstructionExample>> out = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            out.add(new ArrayList<>());
        }
        for (int i = 0; i < pool.size(); i++) {
            out.get(i % clients).add(pool.get(i));
        }
        return out;
    }
}
