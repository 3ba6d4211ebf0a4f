package io.fedlora.deploy.cli;

import io.fedlora.config.ConfigDef;
import io.fedlora.config.Setting;
import io.fedlora.deploy.jobs.JobSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes docs/configuration.md from the declarations, so the page cannot drift from the code;
 * {@code ConfigurationDocTest} fails when the checked-in page is stale.
 */
public final class ConfigurationDoc {

    /** What the stale-page test tells a developer to run (from the repository root). */
    public static final String REGENERATE = "mvn -pl deploy test -Dtest=ConfigurationDocTest"
            + " -Dfedlora.writeDocs=true";

    static final List<ConfigDef> PROGRAMS = List.of(CoordinatorSettings.DEF, AgentSettings.DEF, JobSettings.DEF);

    private ConfigurationDoc() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/configuration.md");
        Files.writeString(out, render(), StandardCharsets.UTF_8);
        System.out.println("wrote " + out);
    }

    public static String render() {
        StringBuilder md = new StringBuilder();
        md.append("""
                # Configuration

                <!-- Generated from CoordinatorSettings, AgentSettings and JobSettings by io.fedlora.deploy.cli.ConfigurationDoc;
                     edit the declarations, not this page (ConfigurationDocTest fails when it is stale).
                     Regenerate: %s -->

                Every setting of `fedlora coordinator` and `fedlora client` is declared once, with its type,
                default, rule and description, and can be given in three ways. Later ones win:

                1. a configuration file, `--config FILE`: one `key = value` a line, `#` starts a comment line;
                2. an environment variable: `FEDLORA_` and the key in upper case, `.` and `-` written `_`
                   (`dashboard.port` is `FEDLORA_DASHBOARD_PORT`); an empty variable counts as unset;
                3. a flag on the command line (`--dashboard-port 8443`).

                At start the command checks everything and reports every problem at once, each with its key and
                where the value came from (`FILE:LINE`, the variable, or the flag); it starts nothing until all
                are fixed. A key the file does not know is an error, so a misspelt one is not silently ignored.
                Secrets (`store.password`, `enroll-token`) are never repeated in an error. `store.password` has
                no flag, because a command line is visible to every user of the machine in `ps`; give it in the
                environment, in the file (readable by the service's user only), or use `store.password-file`.
                Lists are comma-separated; their flags may also be repeated.

                Both programs read the same `FEDLORA_` variables: where a coordinator and a client node run from
                one environment, a variable such as `FEDLORA_CA_CERT` reaches both; give each its own file or
                flags there.

                A job's settings (`fedlora admin create-job`, and `job-config`, which prints the same job as
                JSON) are declared the same way and come from `--config job.properties` and flags only: no
                environment variable changes a job, so a variable left in an operator's shell or a service's
                environment cannot alter every job created from it.

                Example files: `deploy/dist/conf/coordinator.properties`, `deploy/dist/conf/agent.properties` and
                `deploy/dist/conf/job.properties` (in the release archive's `conf/`).
                """.formatted(REGENERATE));
        for (ConfigDef def : PROGRAMS) {
            md.append("\n## ").append(def.program()).append("\n\n");
            md.append("| key | flag | environment variable | type | default | description |\n");
            md.append("| --- | --- | --- | --- | --- | --- |\n");
            for (Setting<?> s : def.settings()) {
                if (s.hidden()) {
                    continue;
                }
                md.append("| `").append(s.key()).append("` | ")
                        .append(s.flag().map(f -> "`" + f + "`").orElse("(none)")).append(" | ")
                        .append(environment(def, s))
                        .append(" | ").append(cell(s.type().name())).append(" | ")
                        .append(s.required() ? "required" : s.defaultText().isEmpty() ? "unset"
                                : cell(s.defaultText())).append(" | ")
                        .append(cell(s.doc()) + (s.secret() ? " Secret." : "")).append(" |\n");
            }
        }
        return md.toString();
    }

    private static String environment(ConfigDef def, Setting<?> s) {
        if (!def.readsEnvironment()) {
            return "(none)";
        }
        return "`" + s.envVar() + "`"
                + s.fallbackEnv().stream().map(e -> ", then `" + e + "`").reduce("", String::concat);
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
