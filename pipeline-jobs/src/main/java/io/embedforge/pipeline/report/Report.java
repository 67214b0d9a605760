package io.embedforge.pipeline.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.udf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.blend.Blend;
import io.embedforge.pipeline.bm25.MineBm25;
import io.embedforge.pipeline.common.SeededHash;
import io.embedforge.pipeline.decontam.Decontaminate;
import io.embedforge.pipeline.dense.DenseMiningJob;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.labels.LabelNegatives;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.RejectsTable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;

/**
 * Stage {@code report}: a static HTML page ({@code <out>/report/index.html}) with PNG charts beside
 * it, for deciding whether the blended data is fit to train on. Numbers of rows and drops come from
 * the run-wide manifest (so the page and the manifest agree); distributions (lengths, scores, batch
 * mixing, reject reasons) are small Spark aggregates over the stage outputs; a few examples per
 * source are drawn by seeded hash. Runs on the driver; only aggregates and the sampled rows are
 * collected.
 */
public final class Report {
    public static final String STAGE = "report";
    public static final String STAGE_DIR = "report";
    public static final String INDEX = "index.html";

    private static final String[][] REJECT_DIRS = {
        {IngestJob.STAGE, IngestJob.STAGE + "/" + RejectsTable.NAME},
        {Decontaminate.STAGE, Decontaminate.STAGE_DIR + "/" + RejectsTable.NAME},
        {DenseMiningJob.STAGE, DenseMiningJob.STAGE_DIR + "/" + RejectsTable.NAME},
        {MineBm25.STAGE, MineBm25.STAGE_DIR + "/" + RejectsTable.NAME},
        {LabelNegatives.STAGE, LabelNegatives.STAGE_DIR + "/" + RejectsTable.NAME},
    };

    private Report() {}

    /** Writes {@code outputRoot/report/} from the outputs under {@code outRoot}; the summary. */
    public static Map<String, Object> run(
            SparkSession spark, String outRoot, String outputRoot, ReportParams p) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        ObjectNode manifest = ManifestWriter.read(conf, outRoot + "/" + ManifestWriter.FILE_NAME);
        if (manifest == null || !manifest.path("stages").has(Blend.STAGE)) {
            throw new IllegalStateException(
                    "report: no blend section in "
                            + outRoot
                            + "/"
                            + ManifestWriter.FILE_NAME
                            + " (run `embedforge blend` first)");
        }
        String dir = outputRoot + "/" + STAGE_DIR;
        Html h = new Html();
        List<String> charts = new ArrayList<>();
        JsonNode stages = manifest.path("stages");
        JsonNode blend = stages.path(Blend.STAGE).path("result");

        h.raw("<h1>EmbedForge data report</h1>");
        h.raw(
                "<p>profile <b>"
                        + esc(manifest.path("profile").asText())
                        + "</b>, seed "
                        + manifest.path("seed").asText()
                        + ", git "
                        + esc(manifest.path("versions").path("git_commit").asText())
                        + "</p>");

        // 1. Stage timings.
        h.raw("<h2>Stages</h2><table><tr><th>stage</th><th>seconds</th><th>finished</th></tr>");
        for (Iterator<Map.Entry<String, JsonNode>> it = stages.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            h.raw(
                    "<tr><td>"
                            + esc(e.getKey())
                            + "</td><td class=n>"
                            + e.getValue().path("seconds").asText()
                            + "</td><td>"
                            + esc(e.getValue().path("finished").asText())
                            + "</td></tr>");
        }
        h.raw("</table>");

        // 2. Rows per source and stage (from the manifest).
        Map<String, Map<String, Long>> rows = new LinkedHashMap<>();
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            rows.put(st, longs(blend.path(st).path("rows_out")));
        }
        Map<String, Long> in = longs(blend.path("rows_in"));
        h.raw("<h2>Rows per source and stage</h2>");
        h.raw(
                "<table><tr><th>source</th><th>rows in</th><th>stage1</th><th>stage2</th>"
                        + "<th>stage2 duplicates</th><th>stage2 over cap</th></tr>");
        Map<String, Long> dups =
                longs(blend.path(TrainingContract.STAGE2).path("drops").path(Blend.DROP_DUPLICATE));
        Map<String, Long> caps =
                longs(blend.path(TrainingContract.STAGE2).path("drops").path(Blend.DROP_OVER_CAP));
        for (String s : in.keySet()) {
            h.raw(
                    "<tr><td>"
                            + esc(s)
                            + "</td><td class=n>"
                            + in.get(s)
                            + "</td><td class=n>"
                            + rows.get(TrainingContract.STAGE1).getOrDefault(s, 0L)
                            + "</td><td class=n>"
                            + rows.get(TrainingContract.STAGE2).getOrDefault(s, 0L)
                            + "</td><td class=n>"
                            + dups.getOrDefault(s, 0L)
                            + "</td><td class=n>"
                            + caps.getOrDefault(s, 0L)
                            + "</td></tr>");
        }
        h.raw(
                "<tr><th>total</th><th class=n>"
                        + sum(in)
                        + "</th><th class=n>"
                        + blend.path(TrainingContract.STAGE1).path("rows").asLong()
                        + "</th><th class=n>"
                        + blend.path(TrainingContract.STAGE2).path("rows").asLong()
                        + "</th><th class=n>"
                        + sum(dups)
                        + "</th><th class=n>"
                        + sum(caps)
                        + "</th></tr></table>");
        chart(
                conf,
                dir,
                charts,
                h,
                "rows_per_source.png",
                Charts.bars(
                        "Rows per source and stage", "source", "rows", rows, p.chartWidth(), true));

        // 3. Reject and drop reasons (reject tables of every stage + blend drops).
        Map<String, Map<String, Long>> reasons = new TreeMap<>();
        for (String[] r : REJECT_DIRS) {
            String path = outRoot + "/" + r[1];
            if (!exists(conf, path)) {
                continue;
            }
            for (Row row :
                    spark.read()
                            .parquet(path)
                            .groupBy(RejectsTable.REASON)
                            .agg(count(lit(1)))
                            .collectAsList()) {
                reasons.computeIfAbsent(r[0], k -> new TreeMap<>())
                        .put(row.getString(0), row.getLong(1));
            }
        }
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            JsonNode drops = blend.path(st).path("drops");
            for (Iterator<String> it = drops.fieldNames(); it.hasNext(); ) {
                String reason = it.next();
                long n = sum(longs(drops.path(reason)));
                if (n > 0) {
                    reasons.computeIfAbsent("blend/" + st, k -> new TreeMap<>()).put(reason, n);
                }
            }
        }
        h.raw(
                "<h2>Rejects and drops by reason</h2><table><tr><th>stage</th><th>reason</th>"
                        + "<th>rows</th></tr>");
        Map<String, Map<String, Long>> byReason = new TreeMap<>();
        reasons.forEach(
                (st, m) ->
                        m.forEach(
                                (reason, n) -> {
                                    h.raw(
                                            "<tr><td>"
                                                    + esc(st)
                                                    + "</td><td>"
                                                    + esc(reason)
                                                    + "</td><td class=n>"
                                                    + n
                                                    + "</td></tr>");
                                    byReason.computeIfAbsent("rows", k -> new TreeMap<>())
                                            .put(st + ": " + reason, n);
                                }));
        h.raw("</table>");
        if (!byReason.isEmpty()) {
            chart(
                    conf,
                    dir,
                    charts,
                    h,
                    "reject_reasons.png",
                    Charts.bars(
                            "Rejects and drops by reason",
                            "stage: reason",
                            "rows",
                            byReason,
                            p.chartWidth(),
                            true));
        }

        // 4. Label balance before/after stratification (label-negatives summary).
        JsonNode labels = stages.path(LabelNegatives.STAGE).path("result");
        Map<String, Map<String, Double>> balance = new LinkedHashMap<>();
        h.raw(
                "<h2>Label balance (max/min examples per label)</h2><table><tr><th>set</th>"
                        + "<th>labels</th><th>before</th><th>after</th></tr>");
        for (String when : List.of("before", "after")) {
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
        for (String set : balance.get("before").keySet()) {
            h.raw(
                    "<tr><td>"
                            + esc(set)
                            + "</td><td class=n>"
                            + longs(labels.path("label_distribution_before").path(set)).size()
                            + "</td><td class=n>"
                            + fmt(balance.get("before").get(set))
                            + "</td><td class=n>"
                            + fmt(balance.get("after").getOrDefault(set, 0.0))
                            + "</td></tr>");
        }
        h.raw("</table>");
        if (!balance.get("before").isEmpty()) {
            chart(
                    conf,
                    dir,
                    charts,
                    h,
                    "label_balance.png",
                    Charts.bars(
                            "Label imbalance (max/min per label) before/after",
                            "set",
                            "max/min",
                            balance,
                            p.chartWidth(),
                            true));
        }

        // 5. Lengths (characters, log2 buckets) of stage2 queries, positives, negatives.
        String stage2 = outRoot + "/" + Blend.STAGE_DIR + "/" + TrainingContract.STAGE2;
        Dataset<Row> s2 = spark.read().parquet(stage2);
        Map<String, Map<String, Long>> lengths = new LinkedHashMap<>();
        lengths.put("query", bucketsLog2(s2.select(length(col(TrainingContract.QUERY)).as("l"))));
        lengths.put(
                "positive", bucketsLog2(s2.select(length(col(TrainingContract.POSITIVE)).as("l"))));
        lengths.put(
                "negative",
                bucketsLog2(
                        s2.select(explode(col(TrainingContract.NEGATIVES)).as("t"))
                                .select(length(col("t")).as("l"))));
        h.raw("<h2>Text lengths (stage2, characters)</h2>");
        chart(
                conf,
                dir,
                charts,
                h,
                "lengths.png",
                Charts.bars(
                        "Text length (chars, bucket = [2^k, 2^(k+1)))",
                        "length bucket",
                        "texts",
                        lengths,
                        p.chartWidth(),
                        false));

        // 6. Scores of positives vs mined negatives, per miner.
        h.raw("<h2>Scores: positives vs mined negatives</h2>");
        String dense = outRoot + "/" + DenseMiningJob.STAGE_DIR + "/examples";
        if (exists(conf, dense)) {
            Dataset<Row> d = spark.read().parquet(dense);
            Map<String, Map<String, Long>> sc = new LinkedHashMap<>();
            sc.put("positive", buckets(d.select(col(DenseMiningJob.POSITIVE_SCORE).as("v")), 0.05));
            sc.put(
                    "negative",
                    buckets(d.select(explode(col(DenseMiningJob.NEGATIVE_SCORES)).as("v")), 0.05));
            chart(
                    conf,
                    dir,
                    charts,
                    h,
                    "scores_dense.png",
                    Charts.bars(
                            "Dense (cosine) scores: positives vs negatives",
                            "score",
                            "texts",
                            sc,
                            p.chartWidth(),
                            false));
        }
        String bm25 = outRoot + "/" + MineBm25.STAGE_DIR + "/examples";
        if (exists(conf, bm25)) {
            Dataset<Row> b = spark.read().parquet(bm25);
            Map<String, Map<String, Long>> sc = new LinkedHashMap<>();
            sc.put("negative", buckets(b.select(explode(col("negative_scores")).as("v")), 1.0));
            h.raw(
                    "<p>BM25 scores are kept for negatives only (the STS positive is not scored).</p>");
            chart(
                    conf,
                    dir,
                    charts,
                    h,
                    "scores_bm25.png",
                    Charts.bars(
                            "BM25 scores of mined negatives",
                            "score",
                            "texts",
                            sc,
                            p.chartWidth(),
                            false));
        }

        // 7. Batch mixing.
        h.raw(
                "<h2>Batch mixing</h2><table><tr><th>stage</th><th>batches</th>"
                        + "<th>mean sources per batch</th><th>mean largest-source share</th></tr>");
        Map<String, Map<String, Long>> mixing = new LinkedHashMap<>();
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            Dataset<Row> s = spark.read().parquet(outRoot + "/" + Blend.STAGE_DIR + "/" + st);
            Dataset<Row> perSource =
                    s.groupBy(col(TrainingContract.BATCH_INDEX), col(TrainingContract.SOURCE))
                            .agg(count(lit(1)).as("n"));
            Dataset<Row> perBatch =
                    perSource
                            .groupBy(col(TrainingContract.BATCH_INDEX))
                            .agg(
                                    countDistinct(col(TrainingContract.SOURCE)).as("sources"),
                                    max(col("n")).as("top"),
                                    org.apache.spark.sql.functions.sum(col("n")).as("rows"));
            Row agg =
                    perBatch.agg(
                                    count(lit(1)),
                                    org.apache.spark.sql.functions.avg("sources"),
                                    org.apache.spark.sql.functions.avg(
                                            col("top").divide(col("rows"))))
                            .first();
            h.raw(
                    "<tr><td>"
                            + st
                            + "</td><td class=n>"
                            + agg.getLong(0)
                            + "</td><td class=n>"
                            + fmt(agg.isNullAt(1) ? 0 : agg.getDouble(1))
                            + "</td><td class=n>"
                            + fmt(agg.isNullAt(2) ? 0 : agg.getDouble(2))
                            + "</td></tr>");
            Map<String, Long> hist =
                    new TreeMap<>(java.util.Comparator.comparingInt(Integer::parseInt));
            for (Row r : perBatch.groupBy("sources").agg(count(lit(1))).collectAsList()) {
                hist.put(String.valueOf(r.getLong(0)), r.getLong(1));
            }
            mixing.put(st, hist);
        }
        h.raw("</table>");
        chart(
                conf,
                dir,
                charts,
                h,
                "batch_mixing.png",
                Charts.bars(
                        "Distinct sources per batch",
                        "sources in the batch",
                        "batches",
                        mixing,
                        p.chartWidth(),
                        false));

        // 8. Sampled examples.
        h.raw("<h2>Sampled examples (stage2)</h2>");
        long seed = p.seed();
        UserDefinedFunction rank =
                udf(
                        (UDF1<String, Long>) id -> SeededHash.rank(seed, id, "report"),
                        DataTypes.LongType);
        List<Row> samples =
                s2.withColumn(
                                "rk",
                                row_number()
                                        .over(
                                                Window.partitionBy(col(TrainingContract.SOURCE))
                                                        .orderBy(
                                                                rank.apply(
                                                                        col(
                                                                                TrainingContract
                                                                                        .EXAMPLE_ID)),
                                                                col(TrainingContract.EXAMPLE_ID))))
                        .filter(col("rk").leq(p.samplesPerSource()))
                        .orderBy(col(TrainingContract.SOURCE), col("rk"))
                        .collectAsList();
        for (Row r : samples) {
            h.raw(
                    "<div class=ex><div class=src>"
                            + esc(r.getAs(TrainingContract.SOURCE))
                            + " · "
                            + esc(r.getAs(TrainingContract.TASK_TYPE))
                            + " · miner "
                            + esc(r.getAs(TrainingContract.NEGATIVE_MINER))
                            + "</div>");
            h.raw("<pre>" + esc(r.getAs(TrainingContract.QUERY_TEXT)) + "</pre>");
            String docInstr = r.getAs(TrainingContract.DOCUMENT_INSTRUCTION);
            if (docInstr != null) {
                h.raw("<div>document instruction: " + esc(docInstr) + "</div>");
            }
            h.raw(
                    "<div class=pos>+ "
                            + esc(clip(r.getAs(TrainingContract.POSITIVE)))
                            + "</div><ol>");
            List<String> negs = r.getList(r.fieldIndex(TrainingContract.NEGATIVES));
            List<Double> scores = r.getList(r.fieldIndex(TrainingContract.NEGATIVE_SCORES));
            for (int i = 0; i < negs.size(); i++) {
                Double sc = i < scores.size() ? scores.get(i) : null;
                h.raw(
                        "<li>"
                                + esc(clip(negs.get(i)))
                                + (sc == null ? "" : " <i>(" + fmt(sc) + ")</i>")
                                + "</li>");
            }
            h.raw("</ol></div>");
        }

        writeBytes(conf, dir + "/" + INDEX, h.page().getBytes(StandardCharsets.UTF_8));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("index", outRoot + "/" + STAGE_DIR + "/" + INDEX);
        summary.put("charts", charts);
        summary.put("samples", samples.size());
        summary.put("rejects", reasons);
        return summary;
    }

    private static void chart(
            Configuration conf, String dir, List<String> charts, Html h, String name, byte[] png) {
        writeBytes(conf, dir + "/" + name, png);
        charts.add(name);
        h.raw("<p><img src=\"" + name + "\" alt=\"" + name + "\"></p>");
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
        m.forEach((b, n) -> out.put(fmt(b * width), n));
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

    private static long sum(Map<String, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String clip(String s) {
        return s.length() > 400 ? s.substring(0, 400) + " …" : s;
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }

    private static boolean exists(Configuration conf, String path) {
        try {
            Path p = new Path(path);
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path, e);
        }
    }

    private static void writeBytes(Configuration conf, String uri, byte[] bytes) {
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            try (OutputStream out = fs.create(p, true)) {
                out.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("report: cannot write " + uri, e);
        }
    }

    /** A minimal HTML page builder. */
    private static final class Html {
        private final StringBuilder body = new StringBuilder();

        void raw(String s) {
            body.append(s).append('\n');
        }

        String page() {
            return "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                    + "<title>EmbedForge data report</title><style>"
                    + "body{font-family:sans-serif;margin:2em;max-width:1000px}"
                    + "table{border-collapse:collapse;margin:1em 0}"
                    + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
                    + "td.n,th.n{text-align:right}"
                    + ".ex{border:1px solid #ddd;margin:1em 0;padding:.5em}"
                    + ".src{color:#555;font-size:90%}.pos{color:#070}"
                    + "pre{white-space:pre-wrap;margin:.3em 0}img{max-width:100%}"
                    + "</style></head><body>\n"
                    + body
                    + "</body></html>\n";
        }
    }
}
