package io.fedlora.deploy.cli;

import io.fedlora.config.ConfigDef;
import io.fedlora.config.ConfigValues;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --config FILE}, the same on every command whose options come from declared settings. */
final class ConfigFileOption {

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Settings as 'key = value' lines (docs/configuration.md); flags (and, for the"
                    + " coordinator and the client, FEDLORA_ variables) override them.")
    Path file;

    /** The settings from {@code --config}, then {@code env}, then the flags this command was given. */
    ConfigValues resolve(ConfigDef def, Map<String, String> env) {
        return SettingOptions.resolve(command, def, file, env);
    }
}
