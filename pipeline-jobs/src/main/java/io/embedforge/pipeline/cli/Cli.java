package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.run.OutLock;
import io.embedforge.pipeline.run.Pipeline;
import io.embedforge.pipeline.run.Plan;
import io.embedforge.pipeline.run.Selection;
import io.embedforge.pipeline.run.StageProgress;
import io.embedforge.pipeline.run.StageRunner;
import io.embedforge.progress.ProgressJson;
import io.embedforge.train.cli.CliStyle;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/** What the pipeline subcommands share: loading the profile, planning and running stages. */
final class Cli {
    private Cli() {}

    /** Loads the profile with the command line's overrides; a bad config never reaches Spark. */
    static PipelineConfig loadConfig(CommonOptions common) {
        return ConfigLoader.load(
                common.conf, new ConfigLoader.Overrides(common.seed, common.variables));
    }

    /** What a command does after its stages, under the same lock ({@code run --train}). */
    @FunctionalInterface
    interface Then {
        int call() throws IOException;
    }

    /**
     * Checks and plans {@code selection} before Spark starts (the output root usable, settings
     * bound, inputs listed, hashed and checked, committed outputs read) and, unless {@code dryRun},
     * locks the selected stages (and, shared, the stages they read: {@link OutLock}), deletes the
     * temporary folders of killed runs of the selected stages, plans again under the lock, prints
     * the plan and runs it in one Spark application, then {@code then} (null: nothing); the lock is
     * released in every case. A problem found before Spark is one line with exit code 2, and
     * nothing is written.
     *
     * @return the exit code
     */
    static int run(
            CommonOptions common,
            Selection selection,
            boolean force,
            boolean dryRun,
            String appName,
            PrintStream log,
            Then then)
            throws IOException {
        PipelineConfig config = loadConfig(common);
        Duration interval = common.progressInterval();
        String out = common.outRoot();
        Configuration hadoop = SparkSessions.hadoopConfiguration(appName, common.spark.master);
        OutLock.checkUsable(hadoop, out);
        if (!dryRun) {
            OutLock.failIfHeld(hadoop, out, selection.writes(), selection.reads());
        }
        Pipeline pipeline = new Pipeline(config, out, force, log);
        Plan plan = pipeline.plan(hadoop, selection);
        if (dryRun || (then == null && !plan.runsAny())) {
            plan.print(log);
            return CliStyle.EXIT_OK;
        }
        try (ProgressJson json = ProgressJson.open(common.progressJson);
                OutLock lock =
                        OutLock.acquire(
                                hadoop, out, selection.writes(), selection.reads(), appName, log)) {
            StageRunner.cleanTemp(hadoop, out, selection.writes(), log);
            plan = pipeline.plan(hadoop, selection);
            plan.print(log);
            if (plan.runsAny()) {
                SparkSession spark = SparkSessions.create(appName, common.spark.master);
                try (StageProgress progress = new StageProgress(spark, interval, json, log)) {
                    pipeline.execute(spark, plan, progress.stages());
                } finally {
                    spark.stop();
                }
            }
            return then == null ? CliStyle.EXIT_OK : then.call();
        }
    }
}
