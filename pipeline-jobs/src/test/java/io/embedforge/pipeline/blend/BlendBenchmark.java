package io.embedforge.pipeline.blend;

import io.embedforge.pipeline.BenchReport;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blend vs a bare read + write of the same rows (both stages), on synthetic mined examples written
 * as Parquet first. Prints wall times and the number of Spark jobs of each side (a listener counts
 * them: every job is a scheduling round trip, which dominates on small data); numbers go to
 * docs/stages/blend.md. Run: {@code mvn -o -q -pl pipeline-jobs -am test -Dtest=BlendBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false -DexcludedGroups=none -Dembedforge.bench.rows=20000
 * -Dembedforge.bench.rounds=3}.
 */
@Tag("benchmark")
class BlendBenchmark extends SparkTestBase {
    /**
     * The min_negatives policy off: BlendTestData's sources have 1 to 9 negatives, and the bare
     * side writes every row, so blend must too.
     */
    private static final BlendParams LIKE_FOR_LIKE =
            Settings.with(BlendParams.defaults(), BlendParams.MIN_NEGATIVES, 0);

    @Test
    void blendVersusReadWrite(@TempDir Path dir) {
        int n = Integer.getInteger("embedforge.bench.rows", 50_000);
        int rounds = Integer.getInteger("embedforge.bench.rounds", 2);
        AtomicInteger jobs = new AtomicInteger();
        SparkListener counter =
                new SparkListener() {
                    @Override
                    public void onJobStart(SparkListenerJobStart start) {
                        jobs.incrementAndGet();
                    }
                };
        spark().sparkContext().addSparkListener(counter);
        Map<String, String> paths = new LinkedHashMap<>();
        BlendTestData.inputs(spark(), n, 4)
                .forEach(
                        (stage, df) -> {
                            String p = dir.resolve("in").resolve(stage).toString();
                            df.write().mode(SaveMode.Overwrite).parquet(p);
                            paths.put(stage, p);
                        });
        for (int round = 0; round < rounds; round++) {
            jobs.set(0);
            long c0 = BenchReport.cpu();
            long t0 = System.nanoTime();
            long rows = 0;
            for (String stage : new String[] {"stage1", "stage2"}) {
                Dataset<Row> all = null;
                for (Map.Entry<String, String> e : paths.entrySet()) {
                    Dataset<Row> d =
                            spark().read()
                                    .parquet(e.getValue())
                                    .select(
                                            "source",
                                            "example_id",
                                            "task_type",
                                            "query",
                                            "positive",
                                            "negatives",
                                            "negative_scores",
                                            "negative_miner");
                    if (stage.equals("stage1")) {
                        d = d.filter("task_type = 'retrieval'");
                    }
                    all = all == null ? d : all.unionByName(d);
                }
                all.write()
                        .mode(SaveMode.Overwrite)
                        .parquet(dir.resolve("bare").resolve(stage).toString());
                rows +=
                        spark().read()
                                .parquet(dir.resolve("bare").resolve(stage).toString())
                                .count();
            }
            double bare = (System.nanoTime() - t0) / 1e9;
            double bareCpu = (BenchReport.cpu() - c0) / 1e9;
            int bareJobs = jobs.getAndSet(0);
            c0 = BenchReport.cpu();
            t0 = System.nanoTime();
            Map<String, Dataset<Row>> in = new LinkedHashMap<>();
            paths.forEach((k, v) -> in.put(k, spark().read().parquet(v)));
            BlendSummary s =
                    Blend.apply(in, BlendTestData.SOURCES, LIKE_FOR_LIKE, paths)
                            .write(
                                    StageContext.direct(
                                            spark(), null, StageId.BLEND, dir.toString()));
            double blend = (System.nanoTime() - t0) / 1e9;
            double blendCpu = (BenchReport.cpu() - c0) / 1e9;
            int blendJobs = jobs.get();
            System.out.printf(
                    java.util.Locale.ROOT,
                    "BlendBenchmark round %d: rows written %d (bare) / %s+%s (blend); bare"
                            + " read+write %.1f s (%.1f CPU s, %d jobs), blend %.1f s (%.1f CPU s, %d"
                            + " jobs), ratio wall %.2f, CPU %.2f%n",
                    round,
                    rows,
                    s.stage1().rows(),
                    s.stage2().rows(),
                    bare,
                    bareCpu,
                    bareJobs,
                    blend,
                    blendCpu,
                    blendJobs,
                    blend / bare,
                    blendCpu / bareCpu);
        }
        spark().sparkContext().removeSparkListener(counter);
    }
}
