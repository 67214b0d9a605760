package io.embedforge.pipeline.report;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.common.SeededHash;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.schema.LabelSummary;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;

/**
 * Everything the report page shows, collected on the driver: numbers of rows and drops from the
 * run-wide manifest (so the page and the manifest agree), distributions (lengths, scores, batch
 * mixing, reject reasons) as small Spark aggregates over the stage outputs, and a few examples per
 * source drawn by seeded hash. Only aggregates and the sampled rows reach the driver; {@link
 * ReportPage} renders them.
 *
 * @param profile profile name
 * @param seed the run's seed
 * @param gitCommit code version
 * @param timings (stage, seconds, finished) of every stage in the manifest
 * @param blend the blend's counts
 * @param reasons reject and drop rows per stage and reason
 * @param labelBalance max/min examples per label before and after stratification, per set
 * @param labelCounts labels per set
 * @param lengths stage-2 text lengths (log2 buckets) of queries, positives, negatives
 * @param minerScores positive, negative and margin scores per miner whose examples exist
 * @param mixing per stage: batches, mean sources per batch, mean largest-source share
 * @param mixingHistogram per stage: batches per number of distinct sources
 * @param samples sampled stage-2 rows
 * @param dropped sampled reject rows of the blend's {@code min_negatives} policy
 * @param positiveScores the miner's score of the positive of each sampled row mined by dense or
 *     BM25, by example id
 * @param dense the mine-dense counters per source ({@code sources} of its manifest section), or an
 *     empty map
 * @param retrievalLengths per retrieval source of mine-dense: {rows, median query characters,
 *     median positive characters}
 * @param comparison this run's per-source numbers and the previous report's, if any
 * @param tokens stage-2 lengths in tokens of the training tokenizer, or null without {@code
 *     train_config}
 */
record ReportData(
        String profile,
        String seed,
        String gitCommit,
        List<String[]> timings,
        BlendSummary blend,
        Map<String, Map<String, Long>> reasons,
        Map<String, Map<String, Double>> labelBalance,
        Map<String, Integer> labelCounts,
        Map<String, Map<String, Long>> lengths,
        Map<String, MinerScores> minerScores,
        Map<String, double[]> mixing,
        Map<String, Map<String, Long>> mixingHistogram,
        List<Row> samples,
        List<Row> dropped,
        Map<String, Double> positiveScores,
        Map<String, Map<String, Long>> dense,
        Map<String, double[]> retrievalLengths,
        RunComparison comparison,
        TokenLengths tokens) {

    /** Accuracy of the median lengths ({@code percentile_approx}). */
    private static final int MEDIAN_ACCURACY = 1_000_000;

    /** Collects the page's data from the committed outputs the report reads. */
    static ReportData collect(StageContext ctx, ReportParams p) {
        ObjectNode manifest = ctx.runManifest();
        JsonNode stages = manifest == null ? null : manifest.path("stages");
        if (stages == null || !stages.has(StageId.BLEND.id())) {
            throw new IllegalStateException(
                    "report: no blend section in the run manifest under "
                            + ctx.input(StageId.BLEND)
                            + "/.. (run `embedforge blend` first)");
        }
        BlendSummary blend = result(stages, StageId.BLEND, BlendSummary.class);
        Dataset<Row> stage2 = ctx.read(StageId.BLEND, TrainingContract.STAGE2);
        JsonNode labels = stages.path(StageId.LABEL_NEGATIVES.id()).path("result");
        Map<String, Map<String, Double>> balance = labelBalance(labels);
        Map<String, Integer> labelCounts = new TreeMap<>();
        labels.path(LabelSummary.LABEL_DISTRIBUTION_BEFORE)
                .fields()
                .forEachRemaining(e -> labelCounts.put(e.getKey(), e.getValue().size()));
        Map<String, double[]> mixing = new LinkedHashMap<>();
        Map<String, Map<String, Long>> mixingHistogram = new LinkedHashMap<>();
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            batchMixing(ctx.read(StageId.BLEND, st), st, mixing, mixingHistogram);
        }
        List<Row> samples = samples(stage2, p);
        JsonNode denseSources = stages.path(StageId.MINE_DENSE.id()).path("result").path("sources");
        RunComparison comparison =
                new RunComparison(
                        RunComparison.current(blend, denseSources, meanNegativeScores(stage2)),
                        RunComparison.previous(stages.get(StageId.REPORT.id())));
        return new ReportData(
                manifest.path("profile").asText(),
                manifest.path("seed").asText(),
                manifest.path("versions").path("git_commit").asText(),
                timings(stages),
                blend,
                reasons(ctx, blend),
                balance,
                labelCounts,
                lengths(stage2),
                MinerScores.collect(ctx),
                mixing,
                mixingHistogram,
                samples,
                dropped(ctx, p),
                positiveScores(ctx, samples),
                denseCounts(denseSources),
                retrievalLengths(ctx),
                comparison,
                p.trainConfig() == null ? null : TokenLengths.of(stage2, p.trainConfig()));
    }

    /** Mean miner score of the stage-2 negatives that have one, per source (one aggregation). */
    private static Map<String, Double> meanNegativeScores(Dataset<Row> s2) {
        Map<String, Double> m = new TreeMap<>();
        for (Row r :
                s2.select(
                                col(TrainingContract.SOURCE),
                                explode(col(TrainingContract.NEGATIVE_SCORES)).as("v"))
                        .filter(col("v").isNotNull())
                        .groupBy(col(TrainingContract.SOURCE))
                        .agg(avg(col("v")))
                        .collectAsList()) {
            m.put(r.getString(0), r.getDouble(1));
        }
        return m;
    }

    /** The numeric counters of every source of the mine-dense summary. */
    private static Map<String, Map<String, Long>> denseCounts(JsonNode sources) {
        Map<String, Map<String, Long>> m = new TreeMap<>();
        sources.fields()
                .forEachRemaining(
                        e -> {
                            Map<String, Long> c = new TreeMap<>();
                            e.getValue()
                                    .fields()
                                    .forEachRemaining(
                                            f -> {
                                                if (f.getValue().isIntegralNumber()) {
                                                    c.put(f.getKey(), f.getValue().asLong());
                                                }
                                            });
                            m.put(e.getKey(), c);
                        });
        return m;
    }

    /**
     * Per source of mine-dense's examples (all retrieval): rows and the medians of query and
     * positive lengths in characters (one small aggregation; exact at the sizes where it matters,
     * {@code percentile_approx} with accuracy 10^6 beyond).
     */
    private static Map<String, double[]> retrievalLengths(StageContext ctx) {
        String path = ctx.input(StageId.MINE_DENSE, NegativesTable.EXAMPLES_DIR);
        Map<String, double[]> m = new TreeMap<>();
        if (!ctx.exists(path)) {
            return m;
        }
        for (Row r :
                ctx.spark()
                        .read()
                        .parquet(path)
                        .groupBy(col(TrainingContract.SOURCE))
                        .agg(
                                count(lit(1)),
                                percentile_approx(
                                        length(col(TrainingContract.QUERY)),
                                        lit(0.5),
                                        lit(MEDIAN_ACCURACY)),
                                percentile_approx(
                                        length(col(TrainingContract.POSITIVE)),
                                        lit(0.5),
                                        lit(MEDIAN_ACCURACY)))
                        .collectAsList()) {
            m.put(r.getString(0), new double[] {r.getLong(1), r.getInt(2), r.getInt(3)});
        }
        return m;
    }

    private static <T> T result(JsonNode stages, StageId stage, Class<T> type) {
        try {
            return ManifestWriter.mapper()
                    .treeToValue(stages.path(stage.id()).path("result"), type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "report: the " + stage + " section of the run manifest is not readable", e);
        }
    }

    /** (stage, seconds, finished) of every stage section, in manifest order. */
    private static List<String[]> timings(JsonNode stages) {
        List<String[]> rows = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = stages.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            rows.add(
                    new String[] {
                        e.getKey(),
                        e.getValue().path("seconds").asText(),
                        e.getValue().path("finished").asText()
                    });
        }
        return rows;
    }

    /** Reject rows per reason of every stage that writes rejects, then the blend's drops. */
    private static Map<String, Map<String, Long>> reasons(StageContext ctx, BlendSummary blend) {
        Map<String, Map<String, Long>> reasons = new TreeMap<>();
        for (StageId stage : StageId.writing(StageId.REPORT.reads(), RejectsTable.NAME)) {
            String path = ctx.input(stage, RejectsTable.NAME);
            if (!ctx.exists(path)) {
                continue;
            }
            for (Row row :
                    ctx.spark()
                            .read()
                            .parquet(path)
                            .groupBy(RejectsTable.REASON)
                            .agg(count(lit(1)))
                            .collectAsList()) {
                reasons.computeIfAbsent(stage.id(), k -> new TreeMap<>())
                        .put(row.getString(0), row.getLong(1));
            }
        }
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            blend.stage(st)
                    .drops()
                    .forEach(
                            (reason, bySource) -> {
                                long n = total(bySource);
                                if (n > 0) {
                                    reasons.computeIfAbsent(
                                                    StageId.BLEND.id() + "/" + st,
                                                    k -> new TreeMap<>())
                                            .put(reason, n);
                                }
                            });
        }
        return reasons;
    }

    /** Max/min examples per label of each set, before and after stratification. */
    private static Map<String, Map<String, Double>> labelBalance(JsonNode labels) {
        Map<String, Map<String, Double>> balance = new LinkedHashMap<>();
        for (String when : List.of(Charts.BEFORE, Charts.AFTER)) {
            JsonNode d = labels.path("label_distribution_" + when);
            Map<String, Double> ratio = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = d.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Map<String, Long> counts = longs(e.getValue());
                long mx = counts.values().stream().mapToLong(Long::longValue).max().orElse(0);
                long mn = counts.values().stream().mapToLong(Long::longValue).min().orElse(0);
                ratio.put(e.getKey(), mn == 0 ? 0.0 : (double) mx / mn);
            }
            balance.put(when, ratio);
        }
        return balance;
    }

    /** Lengths (characters, log2 buckets) of stage-2 queries, positives and negatives. */
    private static Map<String, Map<String, Long>> lengths(Dataset<Row> s2) {
        Map<String, Map<String, Long>> lengths = new LinkedHashMap<>();
        lengths.put(
                Charts.QUERY, bucketsLog2(s2.select(length(col(TrainingContract.QUERY)).as("l"))));
        lengths.put(
                Charts.POSITIVE,
                bucketsLog2(s2.select(length(col(TrainingContract.POSITIVE)).as("l"))));
        lengths.put(
                Charts.NEGATIVE,
                bucketsLog2(
                        s2.select(explode(col(TrainingContract.NEGATIVES)).as("t"))
                                .select(length(col("t")).as("l"))));
        return lengths;
    }

    /** Batches, mean sources per batch and mean largest-source share of one stage. */
    private static void batchMixing(
            Dataset<Row> s,
            String stage,
            Map<String, double[]> mixing,
            Map<String, Map<String, Long>> histograms) {
        Dataset<Row> perSource =
                s.groupBy(col(TrainingContract.BATCH_INDEX), col(TrainingContract.SOURCE))
                        .agg(count(lit(1)).as("n"));
        Dataset<Row> perBatch =
                perSource
                        .groupBy(col(TrainingContract.BATCH_INDEX))
                        .agg(
                                countDistinct(col(TrainingContract.SOURCE)).as("sources"),
                                max(col("n")).as("top"),
                                sum(col("n")).as("rows"));
        Row agg =
                perBatch.agg(count(lit(1)), avg("sources"), avg(col("top").divide(col("rows"))))
                        .first();
        mixing.put(
                stage,
                new double[] {
                    agg.getLong(0),
                    agg.isNullAt(1) ? 0 : agg.getDouble(1),
                    agg.isNullAt(2) ? 0 : agg.getDouble(2)
                });
        Map<String, Long> hist = new TreeMap<>(Comparator.comparingInt(Integer::parseInt));
        for (Row r : perBatch.groupBy("sources").agg(count(lit(1))).collectAsList()) {
            hist.put(String.valueOf(r.getLong(0)), r.getLong(1));
        }
        histograms.put(stage, hist);
    }

    /** Up to {@code samples_per_source} stage-2 rows per source, by seeded hash of the id. */
    private static List<Row> samples(Dataset<Row> s2, ReportParams p) {
        return sampled(s2, TrainingContract.EXAMPLE_ID, p);
    }

    /**
     * Up to {@code samples_per_source} of the blend's {@code too_few_negatives} reject rows per
     * source, by seeded hash of their location ({@code example_id=...}); empty without rejects.
     */
    private static List<Row> dropped(StageContext ctx, ReportParams p) {
        String path = ctx.input(StageId.BLEND, RejectsTable.NAME);
        if (!ctx.exists(path)) {
            return List.of();
        }
        return sampled(
                ctx.spark()
                        .read()
                        .parquet(path)
                        .filter(
                                col(RejectsTable.REASON)
                                        .equalTo(BlendSummary.DROP_TOO_FEW_NEGATIVES)),
                RejectsTable.LOCATION,
                p);
    }

    /** Up to {@code samples_per_source} rows per source, by seeded hash of {@code id}. */
    private static List<Row> sampled(Dataset<Row> rows, String id, ReportParams p) {
        long seed = p.seed();
        UserDefinedFunction rank =
                udf(
                        (UDF1<String, Long>) x -> SeededHash.rank(seed, x, "report"),
                        DataTypes.LongType);
        return rows.withColumn(
                        "rk",
                        row_number()
                                .over(
                                        Window.partitionBy(col(TrainingContract.SOURCE))
                                                .orderBy(rank.apply(col(id)), col(id))))
                .filter(col("rk").leq(p.samplesPerSource()))
                .orderBy(col(TrainingContract.SOURCE), col("rk"))
                .collectAsList();
    }

    /**
     * The positive score of the sampled rows mined by a miner that scores positives (the blend
     * keeps only the negatives' scores): per miner, a filter of its examples on the sampled ids, so
     * only those scores reach the driver.
     */
    private static Map<String, Double> positiveScores(StageContext ctx, List<Row> samples) {
        Map<String, Double> m = new TreeMap<>();
        for (MinerScores.Miner miner : MinerScores.MINERS) {
            String path = ctx.input(miner.stage(), NegativesTable.EXAMPLES_DIR);
            Object[] ids =
                    samples.stream()
                            .filter(
                                    r ->
                                            miner.name()
                                                    .equals(
                                                            r.getAs(
                                                                    TrainingContract
                                                                            .NEGATIVE_MINER)))
                            .map(r -> r.getAs(TrainingContract.EXAMPLE_ID))
                            .toArray();
            if (ids.length == 0 || !ctx.exists(path)) {
                continue;
            }
            Dataset<Row> d = ctx.spark().read().parquet(path);
            if (!List.of(d.columns()).contains(NegativesTable.POSITIVE_SCORE)) {
                continue;
            }
            for (Row r :
                    d.filter(col(TrainingContract.EXAMPLE_ID).isin(ids))
                            .select(TrainingContract.EXAMPLE_ID, NegativesTable.POSITIVE_SCORE)
                            .collectAsList()) {
                if (!r.isNullAt(1)) {
                    m.put(r.getString(0), r.getDouble(1));
                }
            }
        }
        return m;
    }

    /** Counts of {@code l} (an int column) in buckets [2^k, 2^(k+1)), keyed "2^k". */
    private static Map<String, Long> bucketsLog2(Dataset<Row> lengths) {
        Map<Integer, Long> m = new TreeMap<>();
        for (Row r :
                lengths.filter(col("l").gt(0))
                        .groupBy(floor(log(2.0, col("l"))).as("b"))
                        .agg(count(lit(1)))
                        .collectAsList()) {
            m.put((int) r.getLong(0), r.getLong(1));
        }
        Map<String, Long> out = new LinkedHashMap<>();
        m.forEach((b, n) -> out.put(String.valueOf(1L << b), n));
        return out;
    }

    static Map<String, Long> longs(JsonNode node) {
        Map<String, Long> m = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(e.getKey(), e.getValue().asLong());
        }
        return m;
    }

    static long total(Map<String, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }
}
