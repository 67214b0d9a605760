package io.embedforge.pipeline.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.run.PeakMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest round-trips through JSON unchanged; stage sections carry their provenance. */
class ManifestRoundTripTest {
    @Test
    void roundTripsUnchanged(@TempDir Path out) throws Exception {
        PipelineConfig config =
                ConfigLoader.load(
                        repo().resolve("conf/local.yaml"),
                        new ConfigLoader.Overrides(null, Map.of()));
        Configuration conf = new Configuration();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("rows_in", Map.of("msmarco", 12L, "stsb", 3L));
        result.put("negatives_histogram", Map.of("0", 1L, "7", 14L));
        result.put("ratio", 0.125);
        result.put("drops", Map.of("duplicate_query_positive", Map.of("nq", 2L)));
        Map<String, Object> inputs =
                Map.of("files", List.of(Map.of("path", "file:/a", "bytes", 3, "sha256", "ab")));
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        ObjectNode run =
                ManifestWriter.writeStage(
                        conf,
                        out.toString(),
                        new ManifestWriter.StageRecord(
                                "blend",
                                "blend",
                                "f00d",
                                "beef",
                                Map.of("k", 1),
                                inputs,
                                new PeakMemory.Reading(900L, 640L)),
                        config,
                        t0,
                        t0.plusMillis(1500),
                        result);
        ObjectNode read = ManifestWriter.read(conf, out.resolve("manifest.json").toString());
        // the same JSON text as what was written (numbers may come back as narrower node types)
        assertEquals(
                ManifestWriter.mapper().writeValueAsString(run),
                ManifestWriter.mapper().writeValueAsString(read));
        // write what was read, read it again: byte-identical JSON
        ManifestWriter.write(conf, out.resolve("copy.json").toString(), read);
        assertEquals(
                Files.readString(out.resolve("manifest.json")),
                Files.readString(out.resolve("copy.json")));
        JsonNode stage =
                ManifestWriter.read(conf, out.resolve("blend/manifest.json").toString())
                        .get("blend");
        assertNotNull(stage);
        assertEquals("f00d", stage.get("fingerprint").asText());
        assertEquals("beef", stage.get("output_digest").asText());
        assertEquals(1.5, stage.get("seconds").asDouble());
        assertEquals(14, stage.at("/result/negatives_histogram/7").asLong());
        assertEquals("ab", stage.at("/inputs/files/0/sha256").asText());
        assertEquals(900, stage.at("/memory/rss_peak_mb").asLong());
        assertEquals(640, stage.at("/memory/heap_peak_mb").asLong());
        assertEquals(42, read.get("seed").asLong());
        assertNotNull(read.at("/versions/spark").asText());
        assertEquals(config.resolved().toString(), read.get("config").toString());
    }

    private static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("conf")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root");
    }
}
