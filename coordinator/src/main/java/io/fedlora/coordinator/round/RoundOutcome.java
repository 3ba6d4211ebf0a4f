package io.fedlora.coordinator.round;

import java.util.List;

/** What a completed round publishes, however it was aggregated. */
record RoundOutcome(float[] values, List<String> contributors, long examples, double meanLoss,
        double meanTrainSeconds) {}
