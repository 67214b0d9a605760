package io.embedforge.pipeline.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.pipeline.BenchReport;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.InputFormat;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.ingest.IngestReport;
import io.embedforge.pipeline.ingest.InputFileInfo;
import io.embedforge.pipeline.ingest.InputPlanner;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest of {@code conf/real-samples.yaml} against a bare {@code spark.read} + {@code count()} of
 * the same files, in the same JVM and session, so the ratio is the cost of parsing, validation,
 * normalisation, dedup and writing. Rounds alternate bare read and ingest; each reports wall time
 * and the CPU time of the whole JVM (driver and {@code local[2]} executors are one process), which
 * other tenants of a shared machine move far less. Run: {@code mvn -pl pipeline-jobs -am test
 * -Dgroups=benchmark -DexcludedGroups=none -Dtest=IngestBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false} ({@code -Dbench.rounds=N}, default 4; the table is also
 * written to {@code target/ingest-benchmark.md}).
 */
@Tag("benchmark")
class IngestBenchmark extends SparkTestBase {
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 4);

    @TempDir Path out;

    @Test
    void ingestVersusBareRead() throws IOException {
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
                    (in.format() == InputFormat.PARQUET ? parquetFiles : textFiles).add(f.path());
                    bytes += f.bytes();
                }
            }
        }
        BenchReport report = new BenchReport();
        report.line(
                "INGEST BENCHMARK files=%d bytes=%d rounds=%d",
                textFiles.size() + parquetFiles.size(), bytes, ROUNDS);
        report.line(
                "| round | bare wall s | bare CPU s | ingest wall s | ingest CPU s | lines | records"
                        + " | ratio wall | ratio CPU |");
        report.line("|---|---|---|---|---|---|---|---|---|");
        double[] wallRatios = new double[ROUNDS];
        double[] cpuRatios = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = System.nanoTime();
            long c0 = BenchReport.cpu();
            long lines = spark().read().text(textFiles.toArray(new String[0])).count();
            if (!parquetFiles.isEmpty()) {
                lines += spark().read().parquet(parquetFiles.toArray(new String[0])).count();
            }
            double bareWall = (System.nanoTime() - t0) / 1e9;
            double bareCpu = (BenchReport.cpu() - c0) / 1e9;
            long t1 = System.nanoTime();
            long c1 = BenchReport.cpu();
            IngestReport ingest =
                    IngestJob.ingest(
                            StageContext.direct(
                                    spark(),
                                    config,
                                    StageId.INGEST,
                                    out.resolve("r" + round).toString()));
            double ingestWall = (System.nanoTime() - t1) / 1e9;
            double ingestCpu = (BenchReport.cpu() - c1) / 1e9;
            long records =
                    ingest.sources().stream()
                            .flatMap(s -> s.inputs().stream())
                            .mapToLong(IngestReport.RoleCounts::read)
                            .sum();
            wallRatios[round] = ingestWall / bareWall;
            cpuRatios[round] = ingestCpu / bareCpu;
            report.line(
                    "| %d | %.1f | %.1f | %.1f | %.1f | %d | %d | %.2fx | %.2fx |",
                    round + 1,
                    bareWall,
                    bareCpu,
                    ingestWall,
                    ingestCpu,
                    lines,
                    records,
                    wallRatios[round],
                    cpuRatios[round]);
        }
        report.line(
                "ratio ingest/bare, rounds 2-%d (round 1 warms the JIT): wall %s, CPU %s",
                ROUNDS, range(wallRatios), range(cpuRatios));
        Path target = repoRoot().resolve("pipeline-jobs/target");
        Files.createDirectories(target);
        report.write(target.resolve("ingest-benchmark.md"));
    }

    /** min-max of the rounds after the first, or the only round. */
    private static String range(double[] ratios) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (int i = ratios.length > 1 ? 1 : 0; i < ratios.length; i++) {
            min = Math.min(min, ratios[i]);
            max = Math.max(max, ratios[i]);
        }
        return String.format(java.util.Locale.ROOT, "%.2f-%.2fx", min, max);
    }
}
