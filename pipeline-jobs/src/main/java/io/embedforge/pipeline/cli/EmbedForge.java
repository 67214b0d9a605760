package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.manifest.Versions;
import io.embedforge.train.cli.EvalCommand;
import io.embedforge.train.cli.ExportCommand;
import io.embedforge.train.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code embedforge} command line: one entry point for every stage, the same in embedded mode
 * ({@code bin/embedforge}) and under {@code spark-submit}.
 */
@Command(
        name = "embedforge",
        mixinStandardHelpOptions = true,
        versionProvider = EmbedForge.VersionProvider.class,
        description = "Turn public datasets into NV-Embed training data, and train on it.",
        subcommands = {
            IngestCommand.class,
            StageCommand.Decontaminate.class,
            StageCommand.MineDense.class,
            StageCommand.MineBm25.class,
            StageCommand.LabelNegatives.class,
            StageCommand.Blend.class,
            StageCommand.Report.class,
            RunCommand.class,
            TrainCommand.class,
            ExportCommand.class,
            EvalCommand.class,
            CommandLine.HelpCommand.class
        })
public final class EmbedForge implements Runnable {
    /** Exit code of a configuration or input error the user can fix. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (tests call this). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new EmbedForge());
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    Throwable cause = e;
                    while (cause != null && !(cause instanceof ConfigException)) {
                        cause = cause.getCause();
                    }
                    if (cause != null) {
                        commandLine.getErr().println("embedforge: " + cause.getMessage());
                        return EXIT_USAGE;
                    }
                    throw e;
                });
        return cli.execute(args);
    }

    /** Version from the jar manifest. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"embedforge " + Versions.embedforge()};
        }
    }
}
