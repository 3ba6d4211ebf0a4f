package io.fedlora.deploy;

import io.grpc.StatusRuntimeException;
import picocli.CommandLine;

/**
 * Turns failures into one clear line on stderr and a non-zero exit, instead of a stack trace.
 * Exit codes: 1 = the operation failed, 2 = bad input (file, field, argument), 3 = remote error.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        String name = cli.getCommandName();
        if (e instanceof StatusRuntimeException s) {
            cli.getErr().println(name + ": coordinator said " + s.getStatus().getCode() + ": "
                    + s.getStatus().getDescription());
            return 3;
        }
        if (e instanceof IllegalArgumentException || e instanceof java.io.IOException
                || e instanceof java.io.UncheckedIOException) {
            cli.getErr().println(name + ": " + e.getMessage());
            return 2;
        }
        cli.getErr().println(name + ": " + e);
        if (System.getenv("FEDLORA_DEBUG") != null) {
            e.printStackTrace(cli.getErr());
        }
        return 1;
    }
}
