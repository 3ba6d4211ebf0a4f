package io.fedlora.client.agent;

import io.fedlora.proto.v1.TrainTask;

/** How the agent names a round ("job/round") and tells whether a task's round is over. */
final class Rounds {

    private Rounds() {}

    static String key(String job, int round) {
        return job + "/" + round;
    }

    static String key(TrainTask t) {
        return key(t.getJobId(), t.getRound());
    }

    static boolean pastDeadline(TrainTask t) {
        return t.getDeadlineUnixMs() > 0 && System.currentTimeMillis() > t.getDeadlineUnixMs();
    }
}
