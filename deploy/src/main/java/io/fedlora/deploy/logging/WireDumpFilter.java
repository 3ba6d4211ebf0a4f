package io.fedlora.deploy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Set;
import org.slf4j.Marker;

/**
 * Drops gRPC's HTTP/2 frame logging whatever level is configured. At DEBUG, grpc-netty's handlers
 * log every DATA frame with a hex dump of its first bytes: decrypted messages, so enrollment tokens
 * (and anything else a message carries) would reach the log. Installed in {@code logback.xml}; the
 * handlers' other messages go through java.util.logging and are unaffected.
 */
public final class WireDumpFilter extends TurboFilter {

    /** The frame loggers' names: netty's logger for each gRPC handler class (shaded or not). */
    private static final Set<String> FRAME_LOGGERS = Set.of(
            "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler",
            "io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler",
            "io.grpc.netty.NettyServerHandler",
            "io.grpc.netty.NettyClientHandler");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable t) {
        if (level != null && !level.isGreaterOrEqual(Level.INFO) && FRAME_LOGGERS.contains(logger.getName())) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }
}
