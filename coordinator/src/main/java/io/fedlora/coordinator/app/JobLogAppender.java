package io.fedlora.coordinator.app;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/** Feeds a {@link JobLog} from logback: every event that carries the {@code job} MDC field. */
public final class JobLogAppender extends AppenderBase<ILoggingEvent> {

    private static final String COORDINATOR_LOGGERS = "io.fedlora.coordinator.";

    private final JobLog log;

    private JobLogAppender(JobLog log) {
        this.log = log;
    }

    /**
     * Attaches an appender for {@code log} to the root logger when logback is the SLF4J backend; empty
     * (nothing attached) otherwise. Close the result to detach it.
     */
    public static Optional<AutoCloseable> attach(JobLog log) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return Optional.empty();
        }
        JobLogAppender a = new JobLogAppender(log);
        a.setContext(ctx);
        a.setName("fedlora-job-log-" + System.identityHashCode(a));
        a.start();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(a);
        return Optional.of(() -> {
            root.detachAppender(a);
            a.stop();
        });
    }

    @Override
    protected void append(ILoggingEvent e) {
        String job = e.getMDCPropertyMap().get("job");
        // Only the coordinator's own lines: an agent embedded in the same JVM (demo, tests) tags its lines too.
        if (job == null || job.isEmpty() || !e.getLoggerName().startsWith(COORDINATOR_LOGGERS)) {
            return;
        }
        log.append(job, new JobLog.Line(e.getTimeStamp(), e.getLevel().toString(), e.getFormattedMessage()));
    }
}
