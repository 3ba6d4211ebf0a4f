package io.fedlora.coordinator.round;

import io.fedlora.coordinator.strategy.ClientUpdate;
import io.fedlora.proto.v1.TrainTask;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The round being collected. Guarded by the run's lock. */
final class ActiveRound {
    final int round;
    final TrainTask task;
    final Set<String> selected;
    final Map<String, ClientUpdate> updates = new LinkedHashMap<>();
    final Set<String> dropped = new LinkedHashSet<>();
    /** Node → how it held the base it trained against, from its accepted update's header. */
    final Map<String, String> basePrecisions = new java.util.concurrent.ConcurrentHashMap<>();
    final Instant deadline;
    final long startedMs;
    /** The SecAgg+ state; null in a plaintext round (--insecure-plaintext only). */
    final SecureRound secure;
    final RoundStages stages;

    ActiveRound(int round, TrainTask task, Set<String> selected, Instant deadline, long startedMs,
            SecureRound secure, RoundStages stages) {
        this.stages = stages;
        this.round = round;
        this.task = task;
        this.selected = selected;
        this.deadline = deadline;
        this.startedMs = startedMs;
        this.secure = secure;
    }

    /** Selected nodes still connected that have not submitted. */
    int pending() {
        return selected.size() - updates.size() - dropped.size();
    }
}
