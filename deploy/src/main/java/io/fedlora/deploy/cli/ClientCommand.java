package io.fedlora.deploy.cli;

import static io.fedlora.deploy.cli.AgentSettings.*;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.data.JsonlExamples;
import io.fedlora.client.data.TrainingExample;
import io.fedlora.client.model.ComputeDevice;
import io.fedlora.client.privacy.PrivacyBudget;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.StepOptions;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.config.ConfigValues;
import io.fedlora.deploy.local.RecordingTrainer;
import io.fedlora.tracing.Tracing;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Runs a client node: trains on local data whenever the coordinator selects it. */
@Command(name = "client", mixinStandardHelpOptions = true, modelTransformer = SettingOptions.Declared.class,
        description = {"Run a client node. Training data stays on this machine; only updates are sent.",
            "Every setting may also come from --config FILE or a FEDLORA_ environment variable:"
                + " docs/configuration.md."})
public final class ClientCommand implements Callable<Integer> {

    @Mixin
    ConfigFileOption configFile = new ConfigFileOption();

    private PrivacyBudget budget(ConfigValues config) {
        return config.find(PRIVACY_BUDGET).filter(b -> !b.isEmpty())
                .map(b -> new PrivacyBudget(b.get(0), b.get(b.size() - 1), config.get(PRIVACY_DELTA))).orElse(null);
    }

    @Override
    public Integer call() throws Exception {
        ConfigValues config = configFile.resolve(AgentSettings.DEF, System.getenv());
        Path model = config.get(MODEL);
        String sha = CheckpointFiles.sha256(model);
        var examples = JsonlExamples.read(config.get(DATA));
        String nodeName = config.find(NAME).orElse(InetAddress.getLocalHost().getHostName());
        List<TrainingExample> heldOut = config.find(EVAL_DATA).isEmpty() ? List.of()
                : JsonlExamples.read(config.get(EVAL_DATA)).examples();
        LocalTrainer trainer = new DjlLoraTrainer(model, examples, config.get(BASE_QUANTIZATION)).withHeldOut(heldOut)
                .withPacking(config.get(PACK))
                .withStepOptions(StepOptions.DEFAULT.withCheckpointLayers(config.get(CHECKPOINT_LAYERS)));
        Optional<Path> recordUpdates = config.find(RECORD_UPDATES);
        if (recordUpdates.isPresent()) {
            trainer = new RecordingTrainer(trainer, recordUpdates.get());
        }
        AgentConfig.Builder builder = AgentConfig.builder(config.get(COORDINATOR), config.get(STATE_DIR), nodeName, sha)
                .numExamples(examples.size()).device(ComputeDevice.selected().isGpu() ? "cuda" : "cpu")
                .privacyBudget(budget(config))
                .insecurePlaintext(config.get(INSECURE_PLAINTEXT)).minSecureCohort(config.get(MIN_SECURE_COHORT))
                .insecureTransport(config.get(INSECURE_TRANSPORT)).renewal(config.get(RENEW_BEFORE));
        Tracing tracing = Tracing.of("fedlora-agent", config.find(OTLP_ENDPOINT));
        builder.openTelemetry(tracing.openTelemetry());
        if (config.isSet(ENROLL_TOKEN) || config.isSet(ENROLL_TOKEN_FILE)) {
            EnrollmentToken token = config.isSet(ENROLL_TOKEN) ? config.get(ENROLL_TOKEN)
                    : EnrollmentToken.readFrom(config.get(ENROLL_TOKEN_FILE));
            builder.enrollWith(token, config.get(CA_CERT));
        }
        recordUpdates.ifPresent(dir -> builder.encodedUpdateListener(RecordingTrainer.encodedRecorder(dir)));
        AgentConfig agentConfig = builder.build();
        LocalTrainer owned = trainer;
        AgentNode node = AgentNode.start(agentConfig, owned);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                owned.close();
                tracing.close(); // sends the spans still batched
            } catch (Exception e) {
                System.err.println("client: shutdown: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "client-shutdown"));
        System.out.println("client " + nodeName + " started: " + examples.size() + " examples"
                + (heldOut.isEmpty() ? "" : ", " + heldOut.size() + " held out") + ", model " + sha.substring(0, 12));
        System.out.flush();
        stopped.await();
        return 0;
    }
}
