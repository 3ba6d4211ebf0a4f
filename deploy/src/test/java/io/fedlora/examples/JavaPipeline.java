package io.fedlora.examples;

import com.google.protobuf.util.JsonFormat;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * The Java integrator's version of docs/examples/python/pipeline.py, with only the fedlora-proto jar
 * and gRPC: create a job from a JobConfig JSON ({@code fedlora admin job-config}), watch its rounds
 * live, download the last adapter and check its sha256. docs/integrations.md points here;
 * {@code IntegrationExamplesIT} runs it against a real coordinator, so it cannot rot.
 */
public final class JavaPipeline {

    private JavaPipeline() {}

    /** Runs the pipeline; returns the adapter version written to {@code out}. */
    public static int run(String target, Path credentials, Path jobConfigJson, Path out) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forTarget(target)
                .sslContext(GrpcSslContexts.forClient()
                        .trustManager(credentials.resolve("ca.crt").toFile())
                        .keyManager(credentials.resolve("client.crt").toFile(), credentials.resolve("client.key").toFile())
                        .build())
                .build();
        try {
            JobConfig.Builder config = JobConfig.newBuilder();
            JsonFormat.parser().merge(Files.readString(jobConfigJson), config);
            var admin = AdminServiceGrpc.newBlockingStub(channel);
            String job = admin.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createJob(CreateJobRequest.newBuilder().setConfig(config).build()).getJobId();
            JobRef ref = JobRef.newBuilder().setJobId(job).build();
            admin.withDeadlineAfter(30, TimeUnit.SECONDS).startJob(ref);
            int version = 0;
            // Ended rounds first, then each one as it ends; the stream closes with the job.
            for (Iterator<RoundSummary> it = admin.watchJob(ref); it.hasNext(); ) {
                RoundSummary r = it.next();
                System.out.printf("round %d: %s, %d contributors, version %d%n", r.getRound(), r.getState(),
                        r.getContributingNodesCount(), r.getAdapterVersion());
                version = Math.max(version, r.getAdapterVersion());
            }
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            String expected = "";
            for (Iterator<Chunk> it = admin.withDeadlineAfter(120, TimeUnit.SECONDS).downloadAdapter(
                    DownloadAdapterRequest.newBuilder().setJobId(job).setVersion(version).build()); it.hasNext(); ) {
                Chunk c = it.next();
                data.writeBytes(c.getData().toByteArray());
                expected = c.getSha256();
            }
            String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data.toByteArray()));
            if (!got.equals(expected)) {
                throw new IllegalStateException("adapter sha256 " + got + " is not the coordinator's " + expected);
            }
            Files.write(out, data.toByteArray());
            return version;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
