package io.embedforge.pipeline.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.ingest.IngestReport;
import io.embedforge.pipeline.ingest.InputFileInfo;
import io.embedforge.pipeline.ingest.InputPlanner;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest of {@code conf/real-samples.yaml} against a bare {@code spark.read} + {@code count()} of
 * the same files, in the same JVM and session, so the ratio is the cost of parsing, validation,
 * normalisation, dedup and writing. Run: {@code mvn -pl pipeline-jobs -am test -Dgroups=benchmark
 * -DexcludedGroups=none -Dtest=IngestBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class IngestBenchmark extends SparkTestBase {
    private static final int ROUNDS = 2;

    @TempDir Path out;

    @Test
    void ingestVersusBareRead() {
        assumeTrue(sharedData() != null, "../shared/data is absent");
        PipelineConfig config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/real-samples.yaml"),
                        ConfigLoader.Overrides.none());
        Map<String, Map<String, InputPlanner.Plan>> plans = IngestJob.plan(spark(), config);
        List<String> textFiles = new ArrayList<>();
        List<String> parquetFiles = new ArrayList<>();
        long bytes = 0;
        for (SourceConfig s : config.sources()) {
            for (InputSpec in : s.inputs()) {
                for (InputFileInfo f : plans.get(s.name()).get(in.role()).files()) {
                    (in.format() == io.embedforge.pipeline.config.InputFormat.PARQUET
                                    ? parquetFiles
                                    : textFiles)
                            .add(f.path());
                    bytes += f.bytes();
                }
            }
        }
        double bare = Double.MAX_VALUE;
        double ingest = Double.MAX_VALUE;
        long lines = 0;
        long records = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = System.nanoTime();
            lines = spark().read().text(textFiles.toArray(new String[0])).count();
            if (!parquetFiles.isEmpty()) {
                lines += spark().read().parquet(parquetFiles.toArray(new String[0])).count();
            }
            bare = Math.min(bare, (System.nanoTime() - t0) / 1e9);
            long t1 = System.nanoTime();
            IngestReport report =
                    IngestJob.ingest(
                            StageContext.direct(
                                    spark(),
                                    config,
                                    StageId.INGEST,
                                    out.resolve("r" + round).toString()));
            ingest = Math.min(ingest, (System.nanoTime() - t1) / 1e9);
            records =
                    report.sources().stream()
                            .flatMap(s -> s.inputs().stream())
                            .mapToLong(IngestReport.RoleCounts::read)
                            .sum();
        }
        System.out.printf(
                Locale.ROOT,
                "INGEST BENCHMARK files=%d bytes=%d lines=%d records=%d%n"
                        + "  bare read+count: %.2f s (%.0f lines/s)%n"
                        + "  ingest         : %.2f s (%.0f records/s)%n"
                        + "  ratio ingest/bare: %.2fx (best of %d rounds each)%n",
                textFiles.size() + parquetFiles.size(),
                bytes,
                lines,
                records,
                bare,
                lines / bare,
                ingest,
                records / ingest,
                ingest / bare,
                ROUNDS);
    }
}
