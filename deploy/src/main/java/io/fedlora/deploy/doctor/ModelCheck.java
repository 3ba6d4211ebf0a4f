package io.fedlora.deploy.doctor;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.client.model.LlamaConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The base model directory reads as a model of the Llama family, and its sha256 (over the weight
 * files, as jobs name it) equals the job's, when one is given.
 */
final class ModelCheck implements Check {

    private final Path modelDir;
    private final Optional<String> expectedSha256;

    ModelCheck(Path modelDir, Optional<String> expectedSha256) {
        this.modelDir = modelDir;
        this.expectedSha256 = expectedSha256.map(s -> s.trim().toLowerCase(Locale.ROOT));
    }

    @Override
    public String name() {
        return "model";
    }

    @Override
    public CheckResult run() {
        if (!Files.isDirectory(modelDir)) {
            return CheckResult.fail(name(), modelDir + ": not a directory");
        }
        try {
            LlamaConfig config = LlamaConfig.readDir(modelDir);
            String sha = CheckpointFiles.sha256(modelDir);
            String what = modelDir + ": " + config.modelType() + ", " + config.numHiddenLayers() + " layers, hidden size "
                    + config.hiddenSize() + ", sha256 " + sha;
            if (expectedSha256.isPresent() && !expectedSha256.get().equals(sha)) {
                return CheckResult.fail(name(), what + " differs from the job's " + expectedSha256.get()
                        + ": the coordinator will not select this node for that job");
            }
            return CheckResult.ok(name(), what + (expectedSha256.isPresent() ? " (the job's)" : ""));
        } catch (Exception e) {
            return CheckResult.fail(name(), modelDir + ": " + e.getMessage());
        }
    }
}
