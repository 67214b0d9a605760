package io.embedforge.train.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point for running the training-driver jar alone (e.g. on a GPU node): {@code train} and
 * {@code export}. The lead registers {@link TrainCommand} and {@link ExportCommand} in the
 * top-level {@code embedforge} CLI as well.
 */
@Command(
        name = "embedforge-train",
        mixinStandardHelpOptions = true,
        subcommands = {TrainCommand.class, ExportCommand.class, EvalCommand.class},
        description = "NV-Embed training driver (DJL, no Spark).")
public final class TrainCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Runs a subcommand and exits with its code. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainCli()).execute(args));
    }
}
