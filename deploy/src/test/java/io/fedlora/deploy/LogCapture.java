package io.fedlora.deploy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.slf4j.LoggerFactory;

/**
 * Everything this JVM logs, at DEBUG, for as long as it is open: SLF4J/logback (fedlora, netty, H2)
 * with every MDC field and full stack traces, and java.util.logging (gRPC's own) at FINEST. Levels
 * are put back on close.
 */
final class LogCapture implements AutoCloseable {

    /** The loggers forced to DEBUG: ours and the libraries' (grpc-netty-shaded's netty lives under io.grpc). */
    static final List<String> LOGGERS = List.of(org.slf4j.Logger.ROOT_LOGGER_NAME, "io.fedlora", "io.grpc", "io.netty",
            "org.h2", "h2database");

    private final ByteArrayOutputStream logback = new ByteArrayOutputStream();
    private final StringBuilder jul = new StringBuilder();
    private final AtomicInteger debugEvents = new AtomicInteger();
    private final AtomicInteger julFineRecords = new AtomicInteger();
    private final Map<String, Level> previous = new HashMap<>();
    private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    private final List<ch.qos.logback.core.Appender<ILoggingEvent>> console = new java.util.ArrayList<>();
    private final java.util.logging.Level previousJul;
    private final Handler julHandler;

    LogCapture() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%d %level %logger [%mdc] %msg%n%ex{full}");
        enc.start();
        appender.setContext(ctx);
        appender.setName("secret-scan");
        appender.setEncoder(enc);
        appender.setOutputStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                synchronized (logback) {
                    logback.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (logback) {
                    logback.write(b, off, len);
                }
            }
        });
        appender.addFilter(new ch.qos.logback.core.filter.Filter<>() {
            @Override
            public ch.qos.logback.core.spi.FilterReply decide(ILoggingEvent e) {
                if (e.getLevel() == Level.DEBUG) {
                    debugEvents.incrementAndGet();
                }
                return ch.qos.logback.core.spi.FilterReply.NEUTRAL;
            }
        });
        appender.start();
        for (String name : LOGGERS) {
            Logger l = ctx.getLogger(name);
            previous.put(name, l.getLevel());
            l.setLevel(Level.DEBUG);
        }
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        // The console would get megabytes of DEBUG: it is unplugged while capturing, then put back.
        root.iteratorForAppenders().forEachRemaining(console::add);
        console.forEach(root::detachAppender);
        root.addAppender(appender);

        java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
        previousJul = julRoot.getLevel();
        SimpleFormatter fmt = new SimpleFormatter();
        julHandler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() < java.util.logging.Level.INFO.intValue()) {
                    julFineRecords.incrementAndGet();
                }
                String line = fmt.format(r);
                synchronized (jul) {
                    jul.append(line);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        julHandler.setLevel(java.util.logging.Level.ALL);
        julRoot.setLevel(java.util.logging.Level.ALL);
        julRoot.addHandler(julHandler);
        // Root's console handler stays at INFO: the capture sees everything, the console does not.
        for (Handler h : julRoot.getHandlers()) {
            if (h != julHandler && h.getLevel().intValue() < java.util.logging.Level.INFO.intValue()) {
                h.setLevel(java.util.logging.Level.INFO);
            }
        }
    }

    /** The logback output so far (UTF-8). */
    byte[] logbackBytes() {
        synchronized (logback) {
            return logback.toByteArray();
        }
    }

    /** The java.util.logging output so far (UTF-8). */
    byte[] julBytes() {
        synchronized (jul) {
            return jul.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    int debugEvents() {
        return debugEvents.get();
    }

    int julFineRecords() {
        return julFineRecords.get();
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAppender(appender);
        console.forEach(root::addAppender);
        appender.stop();
        previous.forEach((name, level) -> ctx.getLogger(name).setLevel(level));
        java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
        julRoot.removeHandler(julHandler);
        julRoot.setLevel(previousJul);
    }
}
