package io.embedforge.train.cli;

import io.embedforge.settings.UserError;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;

/**
 * The one style of every {@code embedforge} command line (the pipeline's and the training
 * driver's): defaults shown in every {@code --help}, the exit codes listed there, and user errors
 * (a {@link UserError} anywhere in the cause chain) printed as one line without a stack trace, with
 * exit code {@value #EXIT_BAD_INPUT}. Other failures keep picocli's behaviour: the stack trace and
 * exit code {@value #EXIT_FAILURE}.
 */
public final class CliStyle {
    /** Success. */
    public static final int EXIT_OK = 0;

    /** A failure that is not the user's input: a bug, a lost executor, a full disk. */
    public static final int EXIT_FAILURE = 1;

    /** A bad command line, configuration or input the user can fix. */
    public static final int EXIT_BAD_INPUT = 2;

    private CliStyle() {}

    /** Applies the style to {@code cli} and every subcommand; returns it. */
    public static CommandLine apply(CommandLine cli) {
        style(cli);
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    Throwable user = UserError.find(e);
                    if (user == null) {
                        throw e;
                    }
                    commandLine
                            .getErr()
                            .println(
                                    commandLine.getCommandSpec().qualifiedName()
                                            + ": "
                                            + user.getMessage());
                    return EXIT_BAD_INPUT;
                });
        return cli;
    }

    private static void style(CommandLine cli) {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(Integer.toString(EXIT_OK), "done");
        codes.put(Integer.toString(EXIT_FAILURE), "failed (the message and stack trace say why)");
        codes.put(
                Integer.toString(EXIT_BAD_INPUT),
                "bad option, configuration or input (one line says which)");
        cli.getCommandSpec()
                .usageMessage()
                .showDefaultValues(true)
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(codes);
        for (CommandLine sub : cli.getSubcommands().values()) {
            style(sub);
        }
    }
}
