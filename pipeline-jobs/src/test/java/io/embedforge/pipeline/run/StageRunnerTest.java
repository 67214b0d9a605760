package io.embedforge.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commit by rename + marker, skip on an unchanged fingerprint, nothing trusted after a failure. */
class StageRunnerTest extends SparkTestBase {
    @Test
    void commitsSkipsAndSurvivesFailures(@TempDir Path out) throws Exception {
        PipelineConfig config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"),
                        new ConfigLoader.Overrides(null, Map.of()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        StageRunner runner = new StageRunner(spark(), config, out.toString(), false, log);
        int[] runs = {0};
        StageRunner.Body ok =
                tmp -> {
                    runs[0]++;
                    Path d = Path.of(tmp, "x");
                    Files.createDirectories(d);
                    Files.writeString(d.resolve("data.txt"), "v" + runs[0]);
                    return Map.of("rows", runs[0]);
                };
        StageRunner.Outcome first = runner.run("x", "x", "fp1", null, null, ok);
        assertFalse(first.skipped());
        assertEquals("fp1", runner.fingerprintOf("x"));
        assertTrue(Files.exists(out.resolve("x/manifest.json")));
        assertTrue(runner.run("x", "x", "fp1", null, null, ok).skipped());
        assertEquals(1, runs[0]);

        // A failing body (after writing half its output) leaves the committed output untouched.
        StageRunner.Body failing =
                tmp -> {
                    Path d = Path.of(tmp, "x");
                    Files.createDirectories(d);
                    Files.writeString(d.resolve("data.txt"), "half");
                    throw new IllegalStateException("boom");
                };
        assertThrows(
                IllegalStateException.class,
                () -> runner.run("x", "x", "fp2", null, null, failing));
        assertEquals("v1", Files.readString(out.resolve("x/data.txt")));
        assertEquals("fp1", runner.fingerprintOf("x"));
        assertEquals(List.of(), listTmp(out));
        assertFalse(Files.exists(out.resolve(StageRunner.TMP_DIR)), "empty _tmp removed");

        // A folder without marker (killed before the commit finished) is re-run.
        Files.delete(out.resolve("x/" + StageRunner.MARKER));
        assertNull(runner.fingerprintOf("x"));
        assertFalse(runner.run("x", "x", "fp1", null, null, ok).skipped());
        assertEquals("v2", Files.readString(out.resolve("x/data.txt")));
        // --force re-runs an up-to-date stage
        new StageRunner(spark(), config, out.toString(), true, log)
                .run("x", "x", "fp1", null, null, ok);
        assertEquals(3, runs[0]);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(
                text.contains("skipped") && text.contains("FAILED") && text.contains("finished"),
                text);
    }

    private static List<Path> listTmp(Path out) throws Exception {
        Path tmp = out.resolve(StageRunner.TMP_DIR);
        if (!Files.exists(tmp)) {
            return List.of();
        }
        try (var s = Files.list(tmp)) {
            return s.toList();
        }
    }
}
