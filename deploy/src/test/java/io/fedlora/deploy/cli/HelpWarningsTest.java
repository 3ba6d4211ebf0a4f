package io.fedlora.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fedlora.deploy.Fedlora;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's --help renders without a picocli warning (an unescaped % in a description, say). */
class HelpWarningsTest {

    @Test
    void noCommandsHelpPrintsAPicocliWarning() {
        List<String> problems = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            walk(Fedlora.commandLine(), captured, problems, seen);
        } finally {
            System.setErr(original);
        }
        assertFalse(seen.size() < 5, "expected the whole command tree, saw " + seen);
        assertEquals(List.of(), problems);
    }

    private static void walk(CommandLine cmd, ByteArrayOutputStream captured, List<String> problems, List<String> seen) {
        captured.reset();
        String usage = cmd.getUsageMessage(CommandLine.Help.Ansi.OFF);
        String err = captured.toString(StandardCharsets.UTF_8);
        String name = cmd.getCommandSpec().qualifiedName();
        seen.add(name);
        if (err.contains("[picocli WARN]") || usage.contains("[picocli WARN]")) {
            problems.add(name + ": " + err.strip());
        }
        for (CommandLine sub : cmd.getSubcommands().values()) {
            if (!seen.contains(sub.getCommandSpec().qualifiedName())) {
                walk(sub, captured, problems, seen);
            }
        }
    }
}
