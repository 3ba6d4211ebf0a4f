package io.fedlora.deploy.local;

import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import java.nio.file.Path;

/**
 * Keeps a copy of each update on the client's own disk, for end-to-end tests that check the
 * coordinator's aggregate against the clients' own values. Only enabled by the client's
 * {@code --record-updates DIR} testing flag; nothing here reaches the coordinator.
 */
public final class RecordingTrainer implements LocalTrainer {

    private final LocalTrainer delegate;
    private final Path dir;

    public RecordingTrainer(LocalTrainer delegate, Path dir) {
        this.delegate = delegate;
        this.dir = dir;
    }

    @Override
    public TrainOutcome train(TrainRequest request) throws Exception {
        TrainOutcome outcome = delegate.train(request);
        String stem = request.jobId() + "-round" + request.round();
        AtomicFiles.write(dir.resolve(stem + ".f32"), FlatAdapter.toLittleEndian(outcome.delta()));
        AtomicFiles.writeString(dir.resolve(stem + ".examples"), Long.toString(outcome.numExamples()));
        return outcome;
    }

    @Override
    public String basePrecision() {
        return delegate.basePrecision();
    }

    @Override
    public java.util.Optional<io.fedlora.client.train.EvalResult> evaluate(TrainRequest request) throws Exception {
        return delegate.evaluate(request);
    }

    /** Records each encoded vector (before masking) as {@code <job>-round<N>.enc}, little-endian int32. */
    public static io.fedlora.client.agent.AgentConfig.EncodedUpdateListener encodedRecorder(Path dir) {
        return (job, round, encoded) -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(encoded.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(encoded);
            AtomicFiles.write(dir.resolve(job + "-round" + round + ".enc"), b.array());
        };
    }

    @Override
    public void close() throws Exception {
        delegate.close();
    }
}
