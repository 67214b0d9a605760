package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.PipelineConfig;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code embedforge run}: every stage of the pipeline in order, in one Spark application. Stages
 * join this list as they land; today it runs {@code ingest}.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Run every pipeline stage in order in one Spark application.")
public final class RunCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() {
        PipelineConfig config = Cli.loadConfig(common);
        String out = common.outRoot();
        SparkSession spark = SparkSessions.create("embedforge-run", common.master);
        try {
            System.out.println("== stage ingest");
            IngestCommand.run(spark, config, out, System.out);
        } finally {
            spark.stop();
        }
        System.out.println("manifest: " + out + "/manifest.json");
        return 0;
    }
}
