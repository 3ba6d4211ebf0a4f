package io.fedlora.deploy.cli;

import io.fedlora.config.ConfigDef;
import io.fedlora.config.ConfigValues;
import io.fedlora.config.Setting;
import io.fedlora.deploy.jobs.JobSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * A {@link ConfigDef}'s settings as picocli options. Picocli only collects the text; the
 * declarations parse and check it, so a flag, a variable and a file line get the same rules.
 */
final class SettingOptions {

    /** Which declarations give which command its options. */
    private static final Map<String, ConfigDef> BY_COMMAND = Map.of("coordinator", CoordinatorSettings.DEF,
            "client", AgentSettings.DEF, "create-job", JobSettings.DEF, "job-config", JobSettings.DEF);

    /** Adds the declared options of the command picocli is building (it calls this before parsing). */
    public static final class Declared implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            ConfigDef def = BY_COMMAND.get(spec.name());
            if (def == null) {
                throw new IllegalStateException("no settings are declared for the command " + spec.name());
            }
            addTo(spec, def);
            return spec;
        }
    }

    private SettingOptions() {
    }

    /** Adds an option for every setting that has a flag. */
    static void addTo(CommandSpec spec, ConfigDef def) {
        for (Setting<?> s : def.settings()) {
            s.flag().ifPresent(flag -> spec.addOption(option(flag, s, def)));
        }
    }

    private static OptionSpec option(String flag, Setting<?> s, ConfigDef def) {
        OptionSpec.Builder b = OptionSpec.builder(flag).hidden(s.hidden()).description(helpLine(s, def));
        if (s.bareFlagValue().isPresent()) {
            return b.arity("0").type(boolean.class).build();
        }
        b.paramLabel(s.paramLabel()).arity("1");
        if (s.type().isList()) {
            b.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
        } else {
            b.type(String.class);
        }
        return b.build();
    }

    /** The doc line, its default and its variable; picocli reads % as a format and ${ as a variable. */
    static String helpLine(Setting<?> s, ConfigDef def) {
        String d = s.defaultText().isEmpty() ? "" : " Default: " + s.defaultText() + ".";
        String env = def.readsEnvironment() ? " Env: " + s.envVar() + "." : "";
        return (s.doc() + d + env).replace("%", "%%").replace("${", "$${");
    }

    /** The resolved configuration: {@code file} &lt; {@code env} &lt; what this command line gave. */
    static ConfigValues resolve(CommandSpec spec, ConfigDef def, Path file, Map<String, String> env) {
        return def.resolve(Optional.ofNullable(file), env, given(spec.commandLine().getParseResult(), def));
    }

    /** The raw text of each flag on the command line, by key; a repeated list flag joined with commas. */
    static Map<String, String> given(ParseResult parsed, ConfigDef def) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Setting<?> s : def.settings()) {
            Optional<OptionSpec> matched = s.flag().map(parsed::matchedOption);
            matched.ifPresent(o -> out.put(s.key(),
                    s.bareFlagValue().orElseGet(() -> String.join(",", o.stringValues()))));
        }
        return out;
    }
}
