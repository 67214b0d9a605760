package io.embedforge.pipeline.dense;

import io.embedforge.pipeline.run.PeakMemory;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One blocked search over generated vectors in a {@code local[2]} JVM of its own, printing the
 * JVM's memory high-water marks: {@link DenseBenchmark} runs it at two corpus sizes to show that a
 * task's memory is bounded by the block sizes, not by the corpus. Local mode: the driver and the
 * executor are this one JVM.
 *
 * <p>Arguments: queries, candidates, query block, corpus block. Prints one line {@code PROBE
 * seconds old-gen-peak-MB rss-peak-MB}.
 */
public final class SearchMemoryProbe {
    private static final int DIM = 384;

    private SearchMemoryProbe() {}

    public static void main(String[] args) throws Exception {
        int nq = Integer.parseInt(args[0]);
        int nc = Integer.parseInt(args[1]);
        int queryBlock = Integer.parseInt(args[2]);
        int corpusBlock = Integer.parseInt(args[3]);
        SparkSession spark =
                SparkSession.builder()
                        .master("local[2]")
                        .appName("search-memory-probe")
                        .config("spark.ui.enabled", "false")
                        .config("spark.sql.shuffle.partitions", "4")
                        .config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.driver.host", "127.0.0.1")
                        .getOrCreate();
        long t = System.nanoTime();
        BlockedSearch.search(
                        vectors(spark, "q", nq, DIM),
                        vectors(spark, "d", nc, DIM),
                        50,
                        queryBlock,
                        corpusBlock,
                        2)
                .write()
                .format("noop")
                .mode("overwrite")
                .save();
        double seconds = (System.nanoTime() - t) / 1e9;
        spark.stop();
        long oldGenPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().contains("Old Gen") && pool.getPeakUsage() != null) {
                oldGenPeak = Math.max(oldGenPeak, pool.getPeakUsage().getUsed());
            }
        }
        System.out.printf(
                Locale.ROOT,
                "PROBE %.1f %d %d%n",
                seconds,
                oldGenPeak >> 20,
                PeakMemory.rssHighWaterMarkMb());
    }

    /**
     * n vectors (source "bench", id prefix + index) of seeded Gaussian floats, made on the
     * executors when an action runs: nothing is built on the driver.
     */
    static Dataset<Row> vectors(SparkSession spark, String prefix, int n, int dim) {
        StructType schema =
                new StructType()
                        .add("source", DataTypes.StringType)
                        .add("id", DataTypes.StringType)
                        .add("vec", DataTypes.createArrayType(DataTypes.FloatType, false));
        return spark.range(0, n, 1, 4)
                .map(
                        (MapFunction<Long, Row>)
                                i -> {
                                    Random rnd = new Random(i * 31 + dim);
                                    float[] v = new float[dim];
                                    for (int j = 0; j < dim; j++) {
                                        v[j] = (float) rnd.nextGaussian();
                                    }
                                    return RowFactory.create("bench", prefix + i, v);
                                },
                        Encoders.row(schema));
    }
}
