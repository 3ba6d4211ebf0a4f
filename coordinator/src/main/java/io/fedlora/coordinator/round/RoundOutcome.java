package io.fedlora.coordinator.round;

import io.fedlora.crypto.encoding.EvalMean;
import java.util.List;

/** What a completed round publishes, however it was aggregated. */
record RoundOutcome(float[] values, List<String> contributors, long examples, double meanLoss,
        double meanTrainSeconds, EvalMean eval) {}
