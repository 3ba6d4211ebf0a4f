package io.fedlora.deploy.eval;

import io.fedlora.client.data.InstructionExample;
import java.util.List;

/** What an evaluation trains and scores on: a held-out set and the clients' data for both splits. */
public interface EvalTask {

    /** The name results.json and the table give the task. */
    String flagName();

    /** Tokens of prompt and answer that training and scoring keep. */
    int maxSeqLen();

    /** The first {@code n} held-out examples (all of them when there are fewer). */
    List<InstructionExample> heldOut(int n);

    /** Each client's data: the task's own split, or a Dirichlet(alpha) split over labels. */
    List<List<InstructionExample>> clientData(EvalArm.Split split, int clients, int perClient, double alpha, long dataSeed);
}
