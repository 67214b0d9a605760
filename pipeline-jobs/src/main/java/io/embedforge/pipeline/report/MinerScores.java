package io.embedforge.pipeline.report;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Score distributions of one miner's examples: its positives' scores, its negatives' scores and the
 * margin of each negative (positive score minus negative score, what TopK-PercPos and
 * TopK-MarginPos bound), in buckets of {@code width}, with the numbers the page prints beside the
 * charts. A margin at or below 0 is a negative the miner scored at least as high as the positive: a
 * likely false negative or a weak positive. Aggregates only reach the driver.
 *
 * @param miner the {@code negative_miner} value ({@code dense}, {@code bm25})
 * @param label what its scores are, for chart titles
 * @param buckets per role ({@link Charts#POSITIVE}, {@link Charts#NEGATIVE}, {@link
 *     Charts#MARGIN}): texts per bucket, keyed by the bucket's lower bound
 * @param positives examples with a positive score
 * @param meanPositive their mean positive score
 * @param margins negatives with a score beside a positive score
 * @param meanMargin their mean margin
 * @param nonPositiveMargins margins at or below 0
 */
record MinerScores(
        String miner,
        String label,
        Map<String, Map<String, Long>> buckets,
        long positives,
        double meanPositive,
        long margins,
        double meanMargin,
        long nonPositiveMargins) {

    /** A miner that scores positives: its stage, negative_miner value, bucket width, label. */
    record Miner(StageId stage, String name, double width, String label) {}

    /** The miners whose examples carry {@link NegativesTable#POSITIVE_SCORE}, page order. */
    static final List<Miner> MINERS =
            List.of(
                    new Miner(StageId.MINE_DENSE, NegativesTable.MINER_DENSE, 0.05, "cosine"),
                    new Miner(StageId.MINE_BM25, NegativesTable.MINER_BM25, 1.0, "BM25"));

    /** Every miner's scores whose examples exist, in page order. */
    static Map<String, MinerScores> collect(StageContext ctx) {
        Map<String, MinerScores> m = new LinkedHashMap<>();
        for (Miner x : MINERS) {
            String path = ctx.input(x.stage(), NegativesTable.EXAMPLES_DIR);
            if (ctx.exists(path)) {
                Dataset<Row> d = ctx.spark().read().parquet(path);
                m.put(x.name(), of(x.name(), x.label(), d, x.width()));
            }
        }
        return m;
    }

    /**
     * One miner's scores; the positive's and the margins only when its examples have {@link
     * NegativesTable#POSITIVE_SCORE} (an output written before mine-bm25 scored positives).
     */
    static MinerScores of(String miner, String label, Dataset<Row> d, double width) {
        Map<String, Map<String, Long>> b = new LinkedHashMap<>();
        Dataset<Row> negatives = d.select(explode(col(NegativesTable.NEGATIVE_SCORES)).as("v"));
        if (!Arrays.asList(d.columns()).contains(NegativesTable.POSITIVE_SCORE)) {
            b.put(Charts.NEGATIVE, buckets(negatives, width));
            return new MinerScores(miner, label, b, 0, 0, 0, 0, 0);
        }
        Dataset<Row> positives = d.select(col(NegativesTable.POSITIVE_SCORE).as("v"));
        Dataset<Row> margins =
                d.select(
                                col(NegativesTable.POSITIVE_SCORE).as("p"),
                                explode(col(NegativesTable.NEGATIVE_SCORES)).as("n"))
                        .select(col("p").minus(col("n")).as("v"));
        b.put(Charts.POSITIVE, buckets(positives, width));
        b.put(Charts.NEGATIVE, buckets(negatives, width));
        b.put(Charts.MARGIN, buckets(margins, width));
        Row p = positives.filter(col("v").isNotNull()).agg(count(lit(1)), avg("v")).first();
        Row g =
                margins.filter(col("v").isNotNull())
                        .agg(count(lit(1)), avg("v"), sum(when(col("v").leq(0), 1).otherwise(0)))
                        .first();
        return new MinerScores(
                miner,
                label,
                b,
                p.getLong(0),
                p.isNullAt(1) ? 0 : p.getDouble(1),
                g.getLong(0),
                g.isNullAt(1) ? 0 : g.getDouble(1),
                g.isNullAt(2) ? 0 : g.getLong(2));
    }

    /** Counts of {@code v} (a double column) in buckets of {@code width}, keyed by lower bound. */
    private static Map<String, Long> buckets(Dataset<Row> values, double width) {
        Map<Long, Long> m = new TreeMap<>();
        for (Row r :
                values.filter(col("v").isNotNull())
                        .groupBy(floor(col("v").divide(width)).as("b"))
                        .agg(count(lit(1)))
                        .collectAsList()) {
            m.put(r.getLong(0), r.getLong(1));
        }
        Map<String, Long> out = new LinkedHashMap<>();
        m.forEach((k, n) -> out.put(ReportPage.fmt(k * width), n));
        return out;
    }
}
