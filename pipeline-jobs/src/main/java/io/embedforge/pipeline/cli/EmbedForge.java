package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.manifest.Versions;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.train.cli.AblateCommand;
import io.embedforge.train.cli.CliStyle;
import io.embedforge.train.cli.EmbedCommand;
import io.embedforge.train.cli.EvalCommand;
import io.embedforge.train.cli.ExportCommand;
import io.embedforge.train.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code embedforge} command line: one entry point for every stage, the same in embedded mode
 * ({@code bin/embedforge}) and under {@code spark-submit}. One subcommand per stage of the registry
 * ({@link StageId}), then {@code run}, {@code stages}, {@code export-data} and the training
 * driver's {@code train}, {@code export}, {@code eval} and {@code embed}; every one in the style of
 * {@link CliStyle} (defaults and exit codes in its help, user errors on one line with exit code 2).
 */
@Command(
        name = "embedforge",
        mixinStandardHelpOptions = true,
        versionProvider = EmbedForge.VersionProvider.class,
        description = "Turn public datasets into NV-Embed training data, and train on it.")
public final class EmbedForge implements Runnable {
    /** Exit code of a configuration or input error the user can fix. */
    public static final int EXIT_USAGE = CliStyle.EXIT_BAD_INPUT;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** The command line with every subcommand, styled. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new EmbedForge());
        for (StageId stage : StageId.values()) {
            cli.addSubcommand(stage.id(), StageCommand.of(stage));
        }
        cli.addSubcommand("run", new RunCommand());
        cli.addSubcommand("stages", new StagesCommand());
        cli.addSubcommand("export-data", new ExportDataCommand());
        cli.addSubcommand("train", new TrainCommand());
        cli.addSubcommand("export", new ExportCommand());
        cli.addSubcommand("eval", new EvalCommand());
        cli.addSubcommand("ablate", new AblateCommand());
        cli.addSubcommand("embed", new EmbedCommand());
        cli.addSubcommand("help", new CommandLine.HelpCommand());
        return CliStyle.apply(cli);
    }

    /** Runs the CLI and returns its exit code (tests call this). */
    public static int execute(String... args) {
        ConsoleLogs.quietExpectedWarnings();
        return commandLine().execute(args);
    }

    /** Version from the jar manifest. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"embedforge " + Versions.embedforge()};
        }
    }
}
