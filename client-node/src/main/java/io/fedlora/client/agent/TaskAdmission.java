package io.fedlora.client.agent;

import io.fedlora.client.train.LocalTrainer;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.proto.v1.DeclineReason;
import io.fedlora.proto.v1.TrainTask;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Whether this node takes a task: one for its base model, DP-SGD only with a trainer that implements
 * it, secure aggregation unless plaintext rounds are allowed, a SecAgg setup it accepts, and room in
 * its privacy budget (charged here, before any training).
 */
final class TaskAdmission {

    private static final Logger log = AgentNode.LOG;

    sealed interface Decision permits Declined, Admitted {}

    /** Tell the coordinator, which counts this node as absent from the round. */
    record Declined(PrivacyGate.Refusal refusal) implements Decision {}

    /**
     * @param session the round's SecAgg session; null in a plaintext round
     * @param privacyMetrics what the privacy ledger charged, reported after the upload; empty without one
     */
    record Admitted(SecureSession session, Map<String, Double> privacyMetrics) implements Decision {}

    private final AgentConfig config;
    private final LocalTrainer trainer;
    private final NodeId nodeId;
    private final Ed25519PrivateKey identity;
    private final SecureRandom random;
    private final PrivacyGate privacyGate;

    TaskAdmission(AgentConfig config, LocalTrainer trainer, NodeId nodeId, Ed25519PrivateKey identity,
            SecureRandom random, PrivacyGate privacyGate) {
        this.config = config;
        this.trainer = trainer;
        this.nodeId = nodeId;
        this.identity = identity;
        this.random = random;
        this.privacyGate = privacyGate;
    }

    Decision decide(TrainTask t) throws IOException {
        if (!t.getBaseModelSha256().equals(config.baseModelSha256())) {
            // Training another model's adapter would produce garbage; the coordinator counts us as absent.
            log.warn("refusing job {} round {}: it is for base model {}, this node has {}", t.getJobId(),
                    t.getRound(), t.getBaseModelSha256(), config.baseModelSha256());
            return declined(DeclineReason.DECLINE_REASON_BASE_MODEL_MISMATCH,
                    "this node has base model " + config.baseModelSha256());
        }
        if (t.getTraining().hasDp() && !trainer.supportsDp()) {
            return declined(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                    "the task asks for DP-SGD, which this node's trainer does not implement");
        }
        if (!t.hasSecagg() && !config.insecurePlaintext()) {
            log.warn("declining job {} round {}: the coordinator asked for a plaintext update", t.getJobId(),
                    t.getRound());
            return declined(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                    "the round has no secure aggregation; this node sends its update only through SecAgg+");
        }
        SecureSession session = null;
        if (t.hasSecagg()) {
            try {
                session = SecureSession.open(t, nodeId.get(), identity, config.minSecureCohort(),
                        config.secAggThreads(), random);
            } catch (SecureSession.UnacceptableSetup e) {
                log.warn("declining job {} round {}: {}", t.getJobId(), t.getRound(), e.getMessage());
                return declined(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS, e.getMessage());
            }
        }
        Object admitted = privacyGate.admit(t);
        if (admitted instanceof PrivacyGate.Refusal refusal) {
            log.warn("declining job {} round {}: {}", t.getJobId(), t.getRound(), refusal.detail());
            return new Declined(refusal);
        }
        return new Admitted(session, ((PrivacyGate.Allowance) admitted).metrics());
    }

    private static Declined declined(DeclineReason reason, String detail) {
        return new Declined(new PrivacyGate.Refusal(reason, detail));
    }
}
