package io.embedforge.pipeline.dense;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.encoder.EncoderConfig;
import io.embedforge.encoder.SharedEncoders;
import io.embedforge.encoder.TextEncoder;
import io.embedforge.pipeline.BenchReport;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.stage.Settings;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.junit.jupiter.api.Test;

/**
 * Where {@code mine-dense}'s time outside encoding goes at ~3k pairs (issue 23): one warm {@link
 * DenseMiningJob#apply} (after an untimed one over 50 pairs) with a listener counting jobs, stages,
 * tasks and shuffled bytes per stage, then the plain encoding of the same distinct texts with the
 * same model outside Spark; the difference is the stage's cost beyond encoding. Settings as {@link
 * DenseStCompareBenchmark} (all-MiniLM-L6-v2, 7 negatives, ranks 1-50, no positive filter, top).
 *
 * <pre>
 * mvn -q -pl pipeline-jobs -am test -Dtest=DenseFixedCostBenchmark -Dembedforge.bench=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.pairs=3329]
 * </pre>
 *
 * Report: {@code target/dense-fixed-cost.md}.
 */
class DenseFixedCostBenchmark extends SparkTestBase {
    private static final int PAIRS = Integer.getInteger("bench.pairs", 3329);

    private final BenchReport report = new BenchReport();

    /** Per stage: tasks, seconds, shuffle read and write bytes, by the stage's call site. */
    private static final class Stages extends SparkListener {
        final Map<String, long[]> byName = new TreeMap<>();
        int jobs;
        int stages;

        @Override
        public synchronized void onJobStart(SparkListenerJobStart start) {
            jobs++;
        }

        @Override
        public synchronized void onStageCompleted(SparkListenerStageCompleted done) {
            StageInfo s = done.stageInfo();
            stages++;
            long ms =
                    (long) s.completionTime().getOrElse(() -> 0L)
                            - (long) s.submissionTime().getOrElse(() -> 0L);
            long[] v =
                    byName.computeIfAbsent(
                            String.format("%03d %s", s.stageId(), s.name()), k -> new long[4]);
            v[0] += s.numTasks();
            v[1] += ms;
            v[2] += s.taskMetrics().shuffleReadMetrics().totalBytesRead();
            v[3] += s.taskMetrics().shuffleWriteMetrics().bytesWritten();
        }
    }

    @Test
    void fixedCost() throws Exception {
        assumeTrue(
                Boolean.getBoolean("embedforge.bench"), "benchmarks need -Dembedforge.bench=true");
        assumeTrue(sharedData() != null, "no ../shared/data");
        DenseStCompareBenchmark.Snli warm =
                DenseStCompareBenchmark.Snli.read(sharedData().resolve("snli"), 50);
        DenseStCompareBenchmark.Snli snli =
                DenseStCompareBenchmark.Snli.read(sharedData().resolve("snli"), PAIRS);
        EncoderConfig cfg = DenseStCompareBenchmark.miniLm();
        DenseParams params =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.ENCODER,
                        cfg.withIntraOpThreads(0),
                        DenseParams.POSITIVE_FILTER,
                        "none",
                        DenseParams.SCORING_THREADS,
                        2);
        apply(write(warm, "warm"), params);
        Path in = write(snli, "timed");
        Stages listener = new Stages();
        spark().sparkContext().addSparkListener(listener);
        long c = BenchReport.cpu();
        long t = System.nanoTime();
        apply(in, params);
        double wall = (System.nanoTime() - t) / 1e9;
        double cpu = (BenchReport.cpu() - c) / 1e9;
        spark().sparkContext().removeSparkListener(listener);

        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(snli.corpus()));
        snli.pairs().stream().map(q -> q[0]).distinct().forEach(distinct::add);
        TextEncoder encoder = SharedEncoders.get(cfg.withIntraOpThreads(1));
        double[] plain = DenseInt8Benchmark.timed(encoder, distinct);
        double encWall = plain[0];
        double encCpu = plain[1];
        report.line("| measure | value |");
        report.line("|---|---|");
        report.line(
                "| pairs / distinct texts encoded | %d / %d |",
                snli.pairs().size(), distinct.size());
        report.line("| warm apply, wall s (CPU s) | %.1f (%.1f) |", wall, cpu);
        report.line(
                "| plain encoding of the same texts, 1 thread per pass, wall s (CPU s) | %.1f"
                        + " (%.1f) |",
                encWall, encCpu);
        report.line(
                "| beyond encoding, CPU s / share of encoding CPU | %.1f / %.0f%% |",
                cpu - encCpu, 100 * (cpu - encCpu) / encCpu);
        report.line("| jobs / stages | %d / %d |", listener.jobs, listener.stages);
        listener.byName.forEach(
                (name, v) ->
                        report.line(
                                "| stage %s: tasks / s / shuffle read MB / shuffle write MB | %d /"
                                        + " %.1f / %.1f / %.1f |",
                                name, v[0], v[1] / 1e3, v[2] / 1e6, v[3] / 1e6));
        report.line(
                "| load average (1 min) at the end | %.2f |",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        report.write(Paths.get("target", "dense-fixed-cost.md"));
    }

    /** The retrieval and corpus inputs as Parquet, read back as the pipeline does. */
    private Path write(DenseStCompareBenchmark.Snli snli, String name) {
        Path in = Paths.get("target", "fixed-cost", name).toAbsolutePath();
        snli.write(spark(), in);
        return in;
    }

    private void apply(Path in, DenseParams params) {
        DenseMiningJob.Result r =
                DenseMiningJob.apply(
                        spark().read().parquet(in.resolve("retrieval").toString()),
                        spark().read().parquet(in.resolve("corpus").toString()),
                        params,
                        null);
        r.examples().collectAsList();
        r.unpersist();
    }
}
