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
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import javax.imageio.ImageIO;
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
        BlendSummary summary =
                Blend.apply(
                                BlendTestData.inputs(spark(), 50, 2),
                                BlendTestData.SOURCES,
                                BlendParams.defaults(),
                                Map.of())
                        .write(StageContext.direct(spark(), config, StageId.BLEND, out.toString()));
        var conf = spark().sparkContext().hadoopConfiguration();
        Instant now = Instant.now();
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
                                new ReportParams(1L, 2, 600));
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
        assertTrue(html.contains("duplicate_query_positive"));
        assertTrue(html.contains("Instruct: "));
        assertEquals(8, r.samples());
        for (String chart : r.charts()) {
            Path png = out.resolve("report").resolve(chart.toString());
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(600, img.getWidth(), chart.toString());
            assertTrue(html.contains("src=\"" + chart + "\""));
        }
    }
}
