package io.embedforge.train.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point for running the training-driver jar alone (e.g. on a GPU node): {@code train}, {@code
 * export}, {@code eval}, {@code embed} and {@code ablate}, in the style of {@link CliStyle}. The
 * top-level {@code embedforge} CLI registers the same commands.
 */
@Command(
        name = "embedforge-train",
        mixinStandardHelpOptions = true,
        subcommands = {
            TrainCommand.class,
            ExportCommand.class,
            EvalCommand.class,
            EmbedCommand.class,
            AblateCommand.class
        },
        description = "NV-Embed training driver (DJL, no Spark).")
public final class TrainCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Runs a subcommand and exits with its code. */
    public static void main(String[] args) {
        System.exit(CliStyle.apply(new CommandLine(new TrainCli())).execute(args));
    }
}
