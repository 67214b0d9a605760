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
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
                                        Map.of(),
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

        ReportSummary r =
                new Report()
                        .run(
                                StageContext.direct(
                                        spark(), config, StageId.REPORT, out.toString()),
                                new ReportParams(1L, 2, 600, null, null, null));
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
        // Negatives per row: the table's row is the manifest's distribution.
        StringBuilder msmarco = new StringBuilder("<tr><td>msmarco</td>");
        for (int n = 0; n <= 7; n++) {
            msmarco.append("<td class=n>")
                    .append(policy.at("/negatives_per_row/msmarco/" + n).asLong(0))
                    .append("</td>");
        }
        msmarco.append("<td class=n>7</td><td class=n>1</td></tr>");
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
        assertTrue(r.charts().contains("margins_dense.png"), r.charts().toString());
        for (String chart : r.charts()) {
            Path png = out.resolve("report").resolve(chart.toString());
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(600, img.getWidth(), chart.toString());
            assertTrue(html.contains("src=\"" + chart + "\""));
        }
    }
}
