package io.embedforge.pipeline.cli;

import picocli.CommandLine.Option;

/** The {@code --master} option of every command that starts Spark. */
public final class MasterOption {
    @Option(
            names = "--master",
            paramLabel = "URL",
            description =
                    "Spark master. Default: the one spark-submit set, else local[*] (embedded).")
    String master;
}
