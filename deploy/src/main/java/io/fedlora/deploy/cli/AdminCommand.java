package io.fedlora.deploy.cli;

import com.google.protobuf.util.JsonFormat;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.PeftAdapterDir;
import io.fedlora.deploy.jobs.AdapterDownload;
import io.fedlora.deploy.jobs.JobOptions;
import io.fedlora.deploy.jobs.JobSettings;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobLogLine;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.WatchJobLogRequest;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Operator commands against a running coordinator's admin API. */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = {"Administer a coordinator: jobs, enrollment, revocation, the audit log.",
            "Every call goes over mutual TLS with the credentials in --credentials DIR (client.crt, client.key,"
                + " ca.crt); a coordinator writes its local admin's to DATA_DIR/pki/admin at first start. What a call"
                + " may do follows the certificate's role: viewer (read), operator (also start, pause, resume and"
                + " cancel jobs), admin (all)."},
        subcommands = {AdminCommand.CreateJob.class, AdminCommand.JobConfigJson.class, AdminCommand.StartJob.class, AdminCommand.PauseJob.class,
            AdminCommand.ResumeJob.class, AdminCommand.CancelJob.class, AdminCommand.ShowJob.class,
            AdminCommand.Rounds.class, AdminCommand.Logs.class, AdminCommand.Nodes.class, AdminCommand.Download.class,
            TrustCommands.EnrollToken.class, TrustCommands.DashboardLoginLink.class, TrustCommands.Revoke.class, TrustCommands.Certificates.class,
            TrustCommands.Audit.class})
public final class AdminCommand {

    /** The job the command's --config file and flags describe (a job reads no environment variables). */
    static JobOptions jobOptions(ConfigFileOption file) {
        return new JobOptions(file.resolve(JobSettings.DEF, Map.of()));
    }

    abstract static class Base implements Callable<Integer> {
        @Mixin
        CoordinatorAddress address;

        @Override
        public Integer call() throws Exception {
            prepare();
            ManagedChannel ch = address.open();
            try {
                return run(AdminServiceGrpc.newBlockingStub(ch));
            } finally {
                CoordinatorAddress.close(ch);
            }
        }

        /** Local work that can fail on bad input, done before connecting (so such errors name the input). */
        void prepare() throws Exception {}

        abstract Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) throws Exception;
    }

    @Command(name = "create-job", mixinStandardHelpOptions = true, modelTransformer = SettingOptions.Declared.class,
            description = {"Create a fine-tuning job for a base model (prints the job id).",
                "The job's settings may also come from --config FILE: docs/configuration.md."})
    static final class CreateJob extends Base {
        @Mixin
        ConfigFileOption job = new ConfigFileOption();

        @Option(names = "--start", description = "Start the job right away.")
        boolean start;

        private io.fedlora.proto.v1.JobConfig config;

        @Override
        void prepare() throws Exception {
            config = jobOptions(job).toConfig();
        }

        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) throws Exception {
            Job created = admin.createJob(CreateJobRequest.newBuilder().setConfig(config).build());
            if (start) {
                created = admin.startJob(JobRef.newBuilder().setJobId(created.getJobId()).build());
            }
            System.out.println(created.getJobId());
            return 0;
        }
    }

    @Command(name = "job-config", mixinStandardHelpOptions = true,
            description = "Print the job configuration that create-job would send, as fedlora.v1.JobConfig in the"
                    + " protobuf JSON mapping, without contacting a coordinator: pipelines keep it, adjust fields and"
                    + " send it with their own client (docs/integrations.md). The adapter layout comes from --model.",
            modelTransformer = SettingOptions.Declared.class)
    static final class JobConfigJson implements Callable<Integer> {
        @Mixin
        ConfigFileOption job = new ConfigFileOption();

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            spec.commandLine().getOut().println(JsonFormat.printer().print(jobOptions(job).toConfig()));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "start-job", mixinStandardHelpOptions = true, description = "Start a created job.")
    static final class StartJob extends Base {
        @Option(names = "--job", required = true, description = "Job id.")
        String jobId;

        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) throws Exception {
            Job j = admin.startJob(JobRef.newBuilder().setJobId(jobId).build());
            System.out.println(j.getJobId() + " " + j.getState());
            return 0;
        }
    }

    /** A command that moves one job to another state and prints the job's id and new state. */
    abstract static class JobControl extends Base {
        @Parameters(index = "0", paramLabel = "JOB", description = "Job id.")
        String jobId;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        abstract Job control(AdminServiceGrpc.AdminServiceBlockingStub admin, JobRef job);

        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) {
            Job j = control(admin, JobRef.newBuilder().setJobId(jobId).build());
            spec.commandLine().getOut().println(j.getJobId() + " " + j.getState());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "pause-job", mixinStandardHelpOptions = true,
            description = {"Pause a running job: the round in progress finishes (or aborts) as usual, then no new"
                + " round starts until resume-job. Survives a coordinator restart. Operator or admin."})
    static final class PauseJob extends JobControl {
        @Override
        Job control(AdminServiceGrpc.AdminServiceBlockingStub admin, JobRef job) {
            return admin.pauseJob(job);
        }
    }

    @Command(name = "resume-job", mixinStandardHelpOptions = true,
            description = "Resume a paused job: rounds are scheduled again. Operator or admin.")
    static final class ResumeJob extends JobControl {
        @Override
        Job control(AdminServiceGrpc.AdminServiceBlockingStub admin, JobRef job) {
            return admin.resumeJob(job);
        }
    }

    @Command(name = "cancel-job", mixinStandardHelpOptions = true,
            description = {"Cancel a job for good (created, running or paused): the round in progress is aborted,"
                + " its clients are told, nothing of it is published, and the job never runs again. Operator or"
                + " admin."})
    static final class CancelJob extends JobControl {
        @Override
        Job control(AdminServiceGrpc.AdminServiceBlockingStub admin, JobRef job) {
            return admin.cancelJob(job);
        }
    }

    @Command(name = "job", mixinStandardHelpOptions = true, description = "Show a job's status as JSON.")
    static final class ShowJob extends Base {
        @Option(names = "--job", required = true, description = "Job id.")
        String jobId;

        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) throws Exception {
            System.out.println(JsonFormat.printer().print(admin.getJob(JobRef.newBuilder().setJobId(jobId).build())));
            return 0;
        }
    }

    @Command(name = "rounds", mixinStandardHelpOptions = true, description = "List a job's rounds.")
    static final class Rounds extends Base {
        @Option(names = "--job", required = true, description = "Job id.")
        String jobId;

        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) {
            System.out.printf("%-6s %-10s %-8s %-10s %-10s %-14s %-8s%n", "round", "state", "clients", "examples", "loss",
                    "held-out EM", "version");
            for (RoundSummary r : admin.listRounds(JobRef.newBuilder().setJobId(jobId).build()).getRoundsList()) {
                // The held-out score is of the version the round started from, so it names that version.
                String heldOut = r.hasEval() ? String.format("%.1f%% (v%d)", 100 * r.getEval().getExactMatch(),
                        r.getEval().getOfAdapterVersion()) : "-";
                System.out.printf("%-6d %-10s %-8d %-10d %-10.4f %-14s %-8d%s%n", r.getRound(),
                        r.getState().name().replace("ROUND_STATE_", ""), r.getContributingNodesCount(),
                        r.getTotalExamples(), r.getTrainLoss(), heldOut, r.getAdapterVersion(),
                        r.getAbortReason().isEmpty() ? "" : "  " + r.getAbortReason());
            }
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = "Print the coordinator's log lines for a job (its rounds, stages, dropouts, aborts).")
    static final class Logs extends Base {
        @Option(names = "--job", required = true, description = "Job id.")
        String jobId;

        @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until the job ends (or Ctrl-C).")
        boolean follow;

        @Option(names = "--tail", defaultValue = "200", description = "Recent lines to print first, 1..2000 (default: ${DEFAULT-VALUE}).")
        int tail;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) {
            var lines = admin.watchJobLog(WatchJobLogRequest.newBuilder().setJobId(jobId).setFollow(follow)
                    .setTail(tail).build());
            java.io.PrintWriter out = spec.commandLine().getOut();
            while (lines.hasNext()) {
                JobLogLine l = lines.next();
                out.printf("%s %-5s %s%n", java.time.Instant.ofEpochMilli(l.getUnixMs()), l.getLevel(), l.getMessage());
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "nodes", mixinStandardHelpOptions = true, description = "List registered client nodes.")
    static final class Nodes extends Base {
        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) {
            admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().forEach(n -> System.out.printf(
                    "%s %-16s %s examples=%d%n", n.getNodeId(), n.getNodeName(),
                    n.getConnected() ? "connected" : "offline", n.getNumExamples()));
            return 0;
        }
    }

    @Command(name = "download-adapter", mixinStandardHelpOptions = true,
            description = "Download an adapter version as a PEFT directory.")
    static final class Download extends Base {
        @Option(names = "--job", required = true, description = "Job id.")
        String jobId;

        @Option(names = "--adapter-version", defaultValue = "-1", description = "Adapter version; -1 = latest (default).")
        int version;

        @Option(names = "--out", required = true, description = "Output directory (PEFT layout).")
        Path out;

        @Override
        Integer run(AdminServiceGrpc.AdminServiceBlockingStub admin) throws Exception {
            Job job = admin.getJob(JobRef.newBuilder().setJobId(jobId).build());
            FlatAdapter adapter = AdapterDownload.fetch(admin, job,
                    DownloadAdapterRequest.newBuilder().setJobId(jobId).setVersion(version).build());
            PeftAdapterDir.write(out, adapter, job.getConfig().getLora(), job.getConfig().getBaseModelId());
            System.out.println("adapter written to " + out.toAbsolutePath());
            return 0;
        }
    }
}
