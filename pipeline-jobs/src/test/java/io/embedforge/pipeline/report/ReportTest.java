package io.embedforge.pipeline.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.blend.Blend;
import io.embedforge.pipeline.blend.BlendParams;
import io.embedforge.pipeline.blend.BlendTestData;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.dense.DenseSummary;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report renders HTML and PNG charts that hold the manifest's numbers. */
class ReportTest extends SparkTestBase {
    @Test
    void rendersTheManifestNumbers(@TempDir Path out) throws Exception {
        PipelineConfig config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"),
                        new ConfigLoader.Overrides(null, Map.of()));
        Map<String, Dataset<Row>> inputs = BlendTestData.inputs(spark(), 50, 2);
        // Planted problem: a retrieval row without negatives.
        Dataset<Row> dense = inputs.get("mine-dense");
        inputs.put(
                "mine-dense",
                dense.union(
                        spark().createDataFrame(
                                        List.of(
                                                RowFactory.create(
                                                        "msmarco",
                                                        "train",
                                                        "m-none",
                                                        "retrieval",
                                                        "a query nobody can mine",
                                                        "its positive passage",
                                                        List.of(),
                                                        List.of(),
                                                        List.of(),
                                                        "dense")),
                                        dense.schema())));
        // mine-dense's output also has the positive's score
        inputs.get("mine-dense")
                .withColumn("positive_score", functions.lit(0.9))
                .write()
                .parquet(out.resolve("mine-dense/examples").toString());
        // mine-bm25's too, planted between its negatives' 10 and 9: one margin <= 0 per row.
        inputs.get("mine-bm25")
                .withColumn("positive_score", functions.lit(9.5))
                .write()
                .parquet(out.resolve("mine-bm25/examples").toString());
        BlendSummary summary =
                Blend.apply(inputs, BlendTestData.SOURCES, BlendParams.defaults(), Map.of())
                        .write(StageContext.direct(spark(), config, StageId.BLEND, out.toString()));
        var conf = spark().sparkContext().hadoopConfiguration();
        Instant now = Instant.now();
        // mine-dense's counters as its manifest section holds them (5 planted rows without any).
        ManifestWriter.writeStage(
                conf,
                out.toString(),
                new ManifestWriter.StageRecord(
                        "mine-dense", "mine-dense", null, null, null, null, null),
                config,
                now,
                now,
                new DenseSummary(
                        "fp",
                        Map.of(
                                "nq",
                                new DenseSummary.SourceCounts(
                                        51,
                                        51,
                                        51,
                                        Map.of(
                                                "removed_perc_pos",
                                                120L,
                                                "removed_margin_pos",
                                                4L,
                                                "removed_positive",
                                                51L,
                                                "removed_rank_window",
                                                0L),
                                        9,
                                        5,
                                        0,
                                        2.5,
                                        0.8,
                                        Map.of(),
                                        false,
                                        7,
                                        3,
                                        Map.of("50", 48L, "1000", 3L)))));
        ManifestWriter.writeStage(
                conf,
                out.toString(),
                new ManifestWriter.StageRecord("blend", "blend", null, null, null, null, null),
                config,
                now,
                now,
                summary);

        String trainConfig = repoRoot().resolve("conf/train-tiny.yaml").toString();
        ReportSummary r = report(config, out, trainConfig);
        Path index = out.resolve("report/index.html");
        String html = Files.readString(index);
        JsonNode blend =
                ManifestWriter.read(conf, out.resolve("manifest.json").toString())
                        .at("/stages/blend/result");
        for (String src : new String[] {"msmarco", "nq", "stsb", "arxiv"}) {
            String row =
                    "<td>"
                            + src
                            + "</td><td class=n>"
                            + blend.at("/rows_in/" + src).asLong()
                            + "</td><td class=n>"
                            + blend.at("/stage1/rows_out/" + src).asLong(0)
                            + "</td><td class=n>"
                            + blend.at("/stage2/rows_out/" + src).asLong()
                            + "</td>";
            assertTrue(html.contains(row), row + "\n" + html);
        }
        assertTrue(html.contains("<th class=n>" + blend.at("/stage2/rows").asLong() + "</th>"));
        // The nq duplicate of msmarco's m0 has 2 negatives: the policy drops it before the dedup.
        assertTrue(html.contains("<td>blend</td><td>too_few_negatives</td>"), html);
        assertTrue(html.contains("Instruct: "));
        // stsb and nq rows have too few negatives for the recipe's 7: dropped, not sampled.
        assertEquals(4, r.samples());

        // The findings box, first on the page, holds the planted problems with the manifest's
        // numbers and links to their sections.
        assertTrue(html.indexOf("findings bad") < html.indexOf("<h2"), "findings first");
        JsonNode policy = blend.at("/negatives_policy");
        long zero = policy.at("/negatives_per_row/msmarco/0").asLong();
        assertEquals(1L, zero);
        String zeroLine = "blend / msmarco</b>: " + zero + " rows read with 0 negatives";
        assertTrue(html.contains(zeroLine + " <a href=\"#negatives\">"), html);
        assertTrue(r.findings().contains("blend / msmarco: 1 rows read with 0 negatives"));
        long nqDropped = policy.at("/too_few_negatives/nq").asLong();
        assertEquals(51L, nqDropped);
        assertTrue(
                html.contains(
                        "blend / nq</b>: "
                                + nqDropped
                                + " rows with fewer than min_negatives=7 negatives, dropped"),
                html);
        assertTrue(html.contains("mine-dense / nq</b>: 5 examples without negatives"), html);
        assertTrue(html.contains("mine-dense / nq</b>: 9 examples with fewer than 7 negatives"));
        // False-negative filter counts: the summary's, per filter, linked from the findings.
        JsonNode nqDense =
                ManifestWriter.read(conf, out.resolve("manifest.json").toString())
                        .at("/stages/mine-dense/result/sources/nq");
        assertTrue(
                html.contains(
                        "<tr><td>nq</td><td class=n>"
                                + nqDense.at("/removed_margin_pos").asLong()
                                + "</td><td class=n>"
                                + nqDense.at("/removed_perc_pos").asLong()
                                + "</td><td class=n>"
                                + nqDense.at("/removed_positive").asLong()
                                + "</td><td class=n>"
                                + nqDense.at("/removed_rank_window").asLong()
                                + "</td></tr>"),
                html);
        assertTrue(html.contains("<th>margin_pos</th><th>perc_pos</th><th>positive</th>"), html);
        assertTrue(html.contains("<h3 id=filters>"), html);
        assertTrue(
                html.contains(
                        "mine-dense / nq</b>: 124 candidates removed by the false-negative filters"
                                + " (perc_pos, margin_pos, rank_window) of a source short of"
                                + " negatives <a href=\"#filters\">"),
                html);
        // Negatives per row: the table's row is the manifest's distribution.
        StringBuilder msmarco = new StringBuilder("<tr><td>msmarco</td>");
        for (int n = 0; n <= 7; n++) {
            msmarco.append("<td class=n>")
                    .append(policy.at("/negatives_per_row/msmarco/" + n).asLong(0))
                    .append("</td>");
        }
        // min_negatives, fallback, filled rows and negatives, dropped
        msmarco.append(
                "<td class=n>7</td><td>drop</td><td class=n>0</td><td class=n>0</td>"
                        + "<td class=n>1</td></tr>");
        assertTrue(html.contains(msmarco), msmarco + "\n" + html);
        // Short positives of a retrieval source, NQ-open style: the median equals the data's.
        List<Integer> lengths =
                inputs.get("mine-dense").filter("source = 'nq'").collectAsList().stream()
                        .map(x -> x.<String>getAs("positive").length())
                        .sorted()
                        .toList();
        int median = lengths.get((lengths.size() + 1) / 2 - 1);
        assertTrue(
                html.contains(
                        "mine-dense / nq</b>: "
                                + median
                                + " characters: median positive of a retrieval source"),
                html);
        assertSamples(html, r.samples(), out);
        assertTokens(html, trainConfig, out);
        assertComparison(html, r, config, out);
        assertTrue(r.charts().contains("margins_dense.png"), r.charts().toString());
        assertMinerScores(html, r, out);
        assertDropped(html, out);
        for (String chart : r.charts()) {
            Path png = out.resolve("report").resolve(chart.toString());
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(600, img.getWidth(), chart.toString());
            assertTrue(html.contains("src=\"" + chart + "\""));
        }
    }

    /**
     * Positive scores and margins per miner: BM25's numbers are those of its examples (40 rows,
     * positive 9.5, negatives 10 and 9: 80 margins of mean 0, 40 of them <= 0), with its charts; a
     * sampled BM25 row would show its positive score like a dense one.
     */
    private void assertMinerScores(String html, ReportSummary r, Path out) {
        Dataset<Row> bm25 = spark().read().parquet(out.resolve("mine-bm25/examples").toString());
        Dataset<Row> margins =
                bm25.select(
                                functions.col("positive_score"),
                                functions.explode(functions.col("negative_scores")).as("n"))
                        .select(functions.col("positive_score").minus(functions.col("n")).as("m"));
        Row g = margins.agg(functions.count("m"), functions.avg("m")).first();
        long atMostZero = margins.filter("m <= 0").count();
        assertEquals(40L, atMostZero);
        String row =
                "<tr><td>bm25</td><td class=n>"
                        + bm25.count()
                        + "</td><td class=n>"
                        + ReportPage.fmt(9.5)
                        + "</td><td class=n>"
                        + g.getLong(0)
                        + "</td><td class=n>"
                        + ReportPage.fmt(g.getDouble(1))
                        + "</td><td class=n>"
                        + atMostZero
                        + "</td></tr>";
        assertTrue(html.contains(row), row + "\n" + html);
        assertTrue(r.charts().contains("margins_bm25.png"), r.charts().toString());
        assertTrue(r.charts().contains("scores_bm25.png"), r.charts().toString());
    }

    /**
     * Examples of rows the policy dropped: per source at most samples_per_source (2) of the blend's
     * too_few_negatives rejects, each with its reject row's detail.
     */
    private void assertDropped(String html, Path out) {
        Dataset<Row> rejects = spark().read().parquet(out.resolve("blend/rejects").toString());
        String section = html.substring(html.indexOf("<h2 id=dropped>"));
        Matcher shown =
                Pattern.compile("<tr><td>(\\w+)</td><td>(example_id=[^<]+)</td><td>([^<]+)</td>")
                        .matcher(section);
        Map<String, Integer> perSource = new java.util.TreeMap<>();
        while (shown.find()) {
            Row reject = rejects.filter(functions.col("location").equalTo(shown.group(2))).first();
            assertEquals(reject.getAs("source"), shown.group(1));
            assertEquals(ReportPage.esc(reject.getAs("detail")), shown.group(3));
            assertEquals("too_few_negatives", reject.getAs("reason"));
            perSource.merge(shown.group(1), 1, Integer::sum);
        }
        // msmarco has one row short (the planted one), nq 52 and stsb 40
        assertEquals(Map.of("msmarco", 1, "nq", 2, "stsb", 2), perSource, section);
    }

    /**
     * Sampled examples: each negative shows its stage-2 score and, for dense rows, the margin to
     * mine-dense's positive score (0.9 here); miners without scores show none.
     */
    private void assertSamples(String html, int samples, Path out) {
        Dataset<Row> stage2 = spark().read().parquet(out.resolve("blend/stage2").toString());
        Matcher shown = Pattern.compile("miner (\\w+) · id ([^<]+)</div>").matcher(html);
        int examples = 0;
        while (shown.find()) {
            Row row = stage2.filter(functions.col("example_id").equalTo(shown.group(2))).first();
            boolean dense = shown.group(1).equals("dense");
            String block = html.substring(shown.end(), html.indexOf("</ol>", shown.end()));
            assertEquals(
                    dense,
                    block.contains(
                            "</pre>\n<div class=pos>+ "
                                    + row.getAs("positive")
                                    + " <i>(score 0.90)</i></div>"),
                    block);
            List<String> negs = row.getList(row.fieldIndex("negatives"));
            List<Double> scores = row.getList(row.fieldIndex("negative_scores"));
            assertEquals(negs.size(), block.split("<li>").length - 1, block);
            for (int i = 0; i < negs.size(); i++) {
                Double sc = scores.get(i);
                String note =
                        sc == null
                                ? ""
                                : " <i>(score "
                                        + ReportPage.fmt(sc)
                                        + (dense ? ", margin " + ReportPage.fmt(0.9 - sc) : "")
                                        + ")</i>";
                assertTrue(block.contains("<li>" + negs.get(i) + note + "</li>"), block);
            }
            examples++;
        }
        assertEquals(samples, examples);
        assertTrue(html.contains("miner dense · id m"), html);
    }

    /**
     * The first report says there is no previous run; a second one compares with the numbers the
     * first kept in its manifest section (here with msmarco's stage-2 rows lowered by 10).
     */
    private void assertComparison(String html, ReportSummary first, PipelineConfig config, Path out)
            throws Exception {
        assertTrue(html.contains("No previous run in this output folder."), html);
        Map<String, Map<String, Double>> kept = new java.util.TreeMap<>(first.sources());
        Map<String, Double> msmarco = new java.util.LinkedHashMap<>(kept.get("msmarco"));
        long stage2 = msmarco.get("stage2").longValue();
        msmarco.put("stage2", stage2 - 10.0);
        kept.put("msmarco", msmarco);
        var conf = spark().sparkContext().hadoopConfiguration();
        Instant now = Instant.now();
        ManifestWriter.writeStage(
                conf,
                out.toString(),
                new ManifestWriter.StageRecord("report", "report", null, null, null, null, null),
                config,
                now,
                now,
                new ReportSummary(
                        first.index(),
                        first.charts(),
                        first.samples(),
                        first.rejects(),
                        first.findings(),
                        kept));
        ReportSummary second = report(config, out, null);
        assertTrue(Files.readString(out.resolve("report/index.html")).contains("<p>Not measured"));
        assertEquals(first.sources(), second.sources());
        String page = Files.readString(out.resolve("report/index.html"));
        JsonNode blend =
                ManifestWriter.read(conf, out.resolve("manifest.json").toString())
                        .at("/stages/blend/result");
        assertEquals(blend.at("/stage2/rows_out/msmarco").asLong(), stage2);
        assertTrue(
                page.contains(
                        "<tr><td>msmarco</td><td>stage2</td><td class=n>"
                                + (stage2 - 10)
                                + "</td><td class=n>"
                                + stage2
                                + "</td><td class=n>+10</td></tr>"),
                page);
        assertTrue(
                page.contains(
                        "<tr><td>nq</td><td>mean_positive_score</td><td class=n>0.8000</td>"
                                + "<td class=n>0.8000</td><td class=n>0</td></tr>"),
                page);
        first.rejects()
                .forEach(
                        (st, m) ->
                                m.forEach(
                                        (reason, n) ->
                                                assertTrue(
                                                        page.contains(
                                                                "<tr><td>"
                                                                        + st
                                                                        + "</td><td>"
                                                                        + reason
                                                                        + "</td><td class=n>"
                                                                        + n
                                                                        + "</td><td class=n>"
                                                                        + n
                                                                        + "</td><td class=n>0"),
                                                        page)));
        assertTrue(!page.contains("No previous run"), page);
    }

    private ReportSummary report(PipelineConfig config, Path out, String trainConfig) {
        return new Report()
                .run(
                        StageContext.direct(spark(), config, StageId.REPORT, out.toString()),
                        new ReportParams(1L, 2, 600, null, null, null, trainConfig));
    }

    /** Token counts per role equal the training tokenizer's on the stage-2 rows. */
    private void assertTokens(String html, String trainConfig, Path out) throws Exception {
        TrainConfig c = TrainConfig.read(Path.of(trainConfig));
        long[] positives = new long[2];
        try (NvEmbedTokenizer t = Trainer.tokenizer(c)) {
            for (Row row :
                    spark().read()
                            .parquet(out.resolve("blend/stage2").toString())
                            .collectAsList()) {
                int n = t.length(EmbeddingInput.document(row.getAs("positive")));
                positives[0]++;
                positives[1] += n > c.maxLength() ? 1 : 0;
                assertTrue(n >= 3, "BOS, a token, EOS");
            }
        }
        assertTrue(
                html.contains(
                        "<tr><td>positive</td><td class=n>"
                                + positives[0]
                                + "</td><td class=n>"
                                + positives[1]
                                + "</td>"),
                html);
        assertTrue(html.contains("max_length " + c.maxLength() + " tokens"), html);
        assertTrue(html.contains("src=\"tokens.png\""), html);
    }
}
