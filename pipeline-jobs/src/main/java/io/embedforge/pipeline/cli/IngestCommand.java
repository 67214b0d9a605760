package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.ingest.IngestReport;
import io.embedforge.pipeline.manifest.ManifestWriter;
import java.io.PrintStream;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code embedforge ingest}: every configured source into the canonical Parquet tables. */
@Command(
        name = "ingest",
        mixinStandardHelpOptions = true,
        description =
                "Read every source of the profile in its native format; write canonical Parquet"
                        + " tables and rejects under OUT/ingest/ and counts to OUT/manifest.json.")
public final class IngestCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() {
        PipelineConfig config = Cli.loadConfig(common);
        SparkSession spark = SparkSessions.create("embedforge-ingest", common.master);
        try {
            run(spark, config, common.outRoot(), System.out);
        } finally {
            spark.stop();
        }
        return 0;
    }

    /** Runs the stage in an existing session; used by {@code run} too. */
    static IngestReport run(
            SparkSession spark, PipelineConfig config, String out, PrintStream log) {
        Instant started = Instant.now();
        IngestReport report = IngestJob.run(spark, config, out + "/" + IngestJob.STAGE);
        ManifestWriter.writeStage(
                spark.sparkContext().hadoopConfiguration(),
                out,
                IngestJob.STAGE,
                config,
                started,
                Instant.now(),
                report);
        IngestSummary.print(report, log);
        return report;
    }
}
