package io.fedlora.coordinator;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.NotFound;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.BlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundSummary;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creating and reading jobs and their adapters. Running them is {@code round.RoundScheduler}'s part. */
public final class Jobs {

    private static final Logger log = LoggerFactory.getLogger(Jobs.class);

    private final Store store;
    private final BlobStore blobs;
    private final InstantSource clock;
    private final boolean insecurePlaintext;

    public Jobs(Store store, BlobStore blobs, InstantSource clock) {
        this(store, blobs, clock, false);
    }

    private volatile java.util.function.Consumer<String> created = id -> { };

    /** Who hears of each new job (the all-jobs event stream); called after it is stored. */
    public void onCreated(java.util.function.Consumer<String> listener) {
        this.created = java.util.Objects.requireNonNull(listener, "listener");
    }

    /** @param insecurePlaintext whether jobs without secure aggregation are accepted (development only) */
    public Jobs(Store store, BlobStore blobs, InstantSource clock, boolean insecurePlaintext) {
        this.store = store;
        this.blobs = blobs;
        this.clock = clock;
        this.insecurePlaintext = insecurePlaintext;
    }

    /** Validates the config (all problems reported at once) and stores the job with its version-0 adapter. */
    public JobRecord create(JobConfig config) {
        List<String> problems = JobConfigValidator.problems(config, insecurePlaintext);
        if (!problems.isEmpty()) {
            throw new InvalidArgument("invalid job config: " + String.join("; ", problems));
        }
        JobConfig cfg = JobConfigValidator.normalized(config);
        FlatAdapter initial = FlatAdapter.initial(cfg.getAdapterLayout(), cfg.getLora().getASeed());
        byte[] file = initial.toSafetensors();
        String sha = blobs.put(file);
        long now = clock.millis();
        JobRecord job = new JobRecord(UUID.randomUUID().toString(), cfg, JobState.JOB_STATE_CREATED, 0, 0, sha, now, "");
        store.insertJob(job, new AdapterVersion(job.jobId(), 0, sha, file.length, now));
        log.info("job {} ('{}') created: {} rounds, {} per round (min {}), adapter of {} bytes", job.jobId(),
                cfg.getName(), cfg.getRounds(), cfg.getClientsPerRound(), cfg.getMinClients(), file.length);
        created.accept(job.jobId());
        return job;
    }

    public JobRecord get(String jobId) {
        requireId(jobId);
        return store.job(jobId).orElseThrow(() -> new NotFound("job_id: no job '" + jobId + "'"));
    }

    public List<JobRecord> list() {
        return store.jobs();
    }

    public List<RoundSummary> rounds(String jobId) {
        get(jobId);
        return store.rounds(jobId);
    }

    /** An adapter version's bytes, verified against their hash; {@code version} -1 means the latest. */
    public AdapterBlob adapter(String jobId, int version) {
        JobRecord job = get(jobId);
        if (version < -1) {
            throw new InvalidArgument("version: must be >= 0, or -1 for the latest, got " + version);
        }
        int v = version == -1 ? job.latestVersion() : version;
        AdapterVersion av = store.adapterVersion(jobId, v)
                .orElseThrow(() -> new NotFound("version: job " + jobId + " has no adapter version " + v
                        + " (latest is " + job.latestVersion() + ")"));
        return new AdapterBlob(v, av.sha256(), blobs.get(av.sha256()));
    }

    private static void requireId(String jobId) {
        if (jobId == null || jobId.isBlank()) {
            throw new InvalidArgument("job_id: must not be empty");
        }
    }
}
