package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.report.Report;
import io.embedforge.pipeline.run.Pipeline;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code embedforge run}: every stage in order in one Spark application (ingest, decontaminate,
 * mine-dense, mine-bm25, label-negatives, blend, report). A stage whose committed output has the
 * fingerprint of its current inputs and settings is skipped, so a run killed midway resumes where
 * it stopped.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Run every pipeline stage in order in one Spark application.")
public final class RunCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--force", description = "Re-run every stage even when up to date.")
    boolean force;

    @Override
    public Integer call() {
        PipelineConfig config = Cli.loadConfig(common);
        String out = common.outRoot();
        Pipeline pipeline = new Pipeline(null, config, out, force, System.out);
        pipeline.validateParams();
        SparkSession spark = SparkSessions.create("embedforge-run", common.master);
        try {
            new Pipeline(spark, config, out, force, System.out).runAll();
        } finally {
            spark.stop();
        }
        System.out.println("manifest: " + out + "/manifest.json");
        System.out.println("report:   " + out + "/" + Report.STAGE_DIR + "/" + Report.INDEX);
        return 0;
    }
}
