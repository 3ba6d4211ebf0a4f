package io.fedlora.deploy.eval;

import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.client.demo.DemoTask;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The tasks an evaluation runs on: each gives a held-out set and the clients' data for both splits. */
public enum EvalTask {

    /** The demo's letter task ("next" on random words); its own split is the demo's skewed alphabet quarters. */
    LETTERS(DemoDefaults.MAX_SEQ_LEN) {
        @Override
        List<InstructionExample> heldOut(int n) {
            return DemoTask.heldOut(n, DemoDefaults.TASK_SEED);
        }

        @Override
        List<List<InstructionExample>> ownSplit(int clients, int perClient, long dataSeed) {
            List<List<InstructionExample>> data = new ArrayList<>();
            for (int k = 0; k < clients; k++) {
                data.add(DemoTask.clientSlice(k, clients, perClient, dataSeed));
            }
            return data;
        }

        @Override
        List<InstructionExample> pool(int n, long dataSeed) {
            // Uniform words, apart from the held-out stream (heldOut seeds its stream with seed·1,000,003).
            return DemoTask.heldOut(n, dataSeed + 500_000);
        }

        @Override
        String label(InstructionExample e) {
            return e.input().substring(0, 1);
        }
    },

    /** Intent classification ({@link IntentTask}); its own split is IID, the Dirichlet arm skews labels. */
    INTENTS(IntentTask.MAX_SEQ_LEN) {
        @Override
        List<InstructionExample> heldOut(int n) {
            return IntentTask.examples(n, 77);
        }

        @Override
        List<List<InstructionExample>> ownSplit(int clients, int perClient, long dataSeed) {
            List<List<InstructionExample>> data = new ArrayList<>();
            for (int k = 0; k < clients; k++) {
                data.add(IntentTask.examples(perClient, dataSeed * 1_000_003L + k + 1));
            }
            return data;
        }

        @Override
        List<InstructionExample> pool(int n, long dataSeed) {
            return IntentTask.examples(n, dataSeed * 1_000_003L + 500_000);
        }

        @Override
        String label(InstructionExample e) {
            return IntentTask.label(e);
        }
    };

    private final int maxSeqLen;

    EvalTask(int maxSeqLen) {
        this.maxSeqLen = maxSeqLen;
    }

    public int maxSeqLen() {
        return maxSeqLen;
    }

    public String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<EvalTask> byName(String name) {
        for (EvalTask t : values()) {
            if (t.flagName().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    abstract List<InstructionExample> heldOut(int n);

    /** The task's own client split (see each task). */
    abstract List<List<InstructionExample>> ownSplit(int clients, int perClient, long dataSeed);

    /** A pool of examples with labels drawn uniformly, for the Dirichlet split. */
    abstract List<InstructionExample> pool(int n, long dataSeed);

    abstract String label(InstructionExample e);

    List<List<InstructionExample>> clientData(EvalArm.Split split, int clients, int perClient, double alpha,
            long dataSeed) {
        if (split == EvalArm.Split.DEMO) {
            return ownSplit(clients, perClient, dataSeed);
        }
        return DirichletSplit.split(pool(clients * perClient, dataSeed), this::label, clients, alpha, dataSeed);
    }
}
