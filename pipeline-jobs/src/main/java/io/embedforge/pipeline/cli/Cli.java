package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.run.Pipeline;
import io.embedforge.pipeline.run.Plan;
import io.embedforge.pipeline.run.Selection;
import io.embedforge.train.cli.CliStyle;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/** What the pipeline subcommands share: loading the profile, planning and running stages. */
final class Cli {
    private Cli() {}

    /** Loads the profile with the command line's overrides; a bad config never reaches Spark. */
    static PipelineConfig loadConfig(CommonOptions common) {
        return ConfigLoader.load(
                common.conf, new ConfigLoader.Overrides(common.seed, common.variables));
    }

    /**
     * Plans {@code selection} before Spark starts (settings bound, inputs listed, committed outputs
     * read), prints the plan, and unless {@code dryRun} runs it in one Spark application.
     *
     * @return the exit code
     */
    static int run(
            CommonOptions common,
            Selection selection,
            boolean force,
            boolean dryRun,
            String appName,
            PrintStream log) {
        PipelineConfig config = loadConfig(common);
        Pipeline pipeline = new Pipeline(config, common.outRoot(), force, log);
        Plan plan =
                pipeline.plan(
                        SparkSessions.hadoopConfiguration(appName, common.spark.master), selection);
        plan.print(log);
        if (dryRun || plan.steps().stream().noneMatch(Plan.Step::runs)) {
            return CliStyle.EXIT_OK;
        }
        SparkSession spark = SparkSessions.create(appName, common.spark.master);
        try {
            pipeline.execute(spark, plan);
        } finally {
            spark.stop();
        }
        return CliStyle.EXIT_OK;
    }
}
