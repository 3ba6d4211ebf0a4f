package io.fedlora.deploy;

import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A fast deterministic trainer for federation tests that records each training as
 * "job/round/node" and then waits at the test's gate (a latch the test swaps and counts down).
 */
final class GatedTrainer implements LocalTrainer {

    private final String name;
    private final Set<String> training;
    private final Supplier<CountDownLatch> gate;

    GatedTrainer(String name, Set<String> training, Supplier<CountDownLatch> gate) {
        this.name = name;
        this.training = training;
        this.gate = gate;
    }

    @Override
    public TrainOutcome train(TrainRequest req) {
        training.add(req.jobId() + "/" + req.round() + "/" + name);
        try {
            gate.get().await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new TrainOutcome(TinyFederation.delta(req), 20, 0.5, 1, 0.01);
    }
}
