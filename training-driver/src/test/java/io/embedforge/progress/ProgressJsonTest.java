package io.embedforge.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --progress-json lines: fields, nulls, appending, visible before close. */
class ProgressJsonTest {
    private static final Instant T = Instant.parse("2026-12-07T12:00:00Z");

    @Test
    void writesOneFlushedLinePerEventAndAppendsToAnExistingFile(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("sub/progress.jsonl");
        try (ProgressJson json = new ProgressJson(file)) {
            json.milestone(T, "ingest", 1, 7, ProgressJson.STARTED);
        }
        try (ProgressJson json = new ProgressJson(file)) {
            json.accept(
                    new ProgressEvent(
                            T,
                            new ProgressMeter.Reading(
                                    "ingest", 1, 7, "writing records", 3, 8, false, "tasks"),
                            0.5,
                            10.0));
            json.accept(
                    new ProgressEvent(
                            T,
                            new ProgressMeter.Reading("ingest", 1, 7, "x", 3, -1, false, "tasks"),
                            0,
                            null));
            // visible to a poller before the file is closed
            assertEquals(3, Files.readAllLines(file, StandardCharsets.UTF_8).size());
            json.milestone(T.plusSeconds(1), "ingest", 1, 7, ProgressJson.FINISHED);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        ObjectMapper m = new ObjectMapper();
        JsonNode started = m.readTree(lines.get(0));
        assertEquals("started", started.get("step").asText());
        assertTrue(started.get("eta_s").isNull());
        JsonNode report = m.readTree(lines.get(1));
        assertEquals("2026-12-07T12:00:00Z", report.get("timestamp").asText());
        assertEquals("ingest", report.get("stage").asText());
        assertEquals(1, report.get("stage_index").asInt());
        assertEquals(7, report.get("stage_count").asInt());
        assertEquals("writing records", report.get("step").asText());
        assertEquals(3, report.get("done").asLong());
        assertEquals(8, report.get("total").asLong());
        assertEquals("tasks", report.get("unit").asText());
        assertEquals(0.5, report.get("rate").asDouble());
        assertEquals(10.0, report.get("eta_s").asDouble());
        assertTrue(m.readTree(lines.get(2)).get("total").isNull());
        JsonNode finished = m.readTree(lines.get(3));
        assertEquals("finished", finished.get("step").asText());
        assertEquals(0.0, finished.get("eta_s").asDouble());
        assertEquals(4, lines.size());
    }
}
