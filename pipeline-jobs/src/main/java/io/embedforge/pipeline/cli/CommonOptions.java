package io.embedforge.pipeline.cli;

import io.embedforge.progress.ProgressMeter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every pipeline subcommand takes. */
public final class CommonOptions {
    @Option(
            names = "--conf",
            required = true,
            paramLabel = "FILE",
            description = "Profile YAML (conf/local.yaml, conf/real-samples.yaml, conf/full.yaml).")
    Path conf;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR_OR_URI",
            description = "Output root: a local folder or any Hadoop URI (hdfs://, s3a://).")
    String out;

    @Mixin MasterOption spark = new MasterOption();

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Seed of every random choice; overrides the profile's seed.")
    Long seed;

    @Option(
            names = "--var",
            paramLabel = "NAME=VALUE",
            showDefaultValue = CommandLine.Help.Visibility.NEVER,
            description = "Sets a path variable of the profile, e.g. --var data=/datasets.")
    Map<String, String> variables = new LinkedHashMap<>();

    @Option(
            names = "--progress-interval",
            paramLabel = "SECONDS",
            defaultValue = "30",
            description =
                    "Seconds between two progress lines of a running stage (default: ${DEFAULT-VALUE}).")
    double progressInterval;

    @Option(
            names = "--progress-json",
            paramLabel = "FILE",
            description =
                    "Also append each progress report, and each stage's start and end, to this local"
                            + " file as JSON lines (schema: docs/deploy.md, \"Progress\").")
    Path progressJson;

    /** The time between two progress lines; a bad value stops the command before Spark. */
    Duration progressInterval() {
        return ProgressMeter.interval(progressInterval);
    }

    /** The output root without a trailing slash. */
    public String outRoot() {
        return location(out);
    }

    /**
     * A folder given on the command line: a URI as given, a local path made absolute; without a
     * trailing slash.
     */
    static String location(String given) {
        String o = given;
        while (o.length() > 1 && o.endsWith("/")) {
            o = o.substring(0, o.length() - 1);
        }
        if (!o.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*") && !o.startsWith("/")) {
            return Path.of(o).toAbsolutePath().normalize().toString();
        }
        return o;
    }
}
