package io.fedlora.client.train;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TrainingConfig;

/** One round's local training: where to start, with which hyper-parameters. */
public record TrainRequest(String jobId, int round, FlatAdapter startAdapter, LoraConfig lora,
        TrainingConfig training) {}
