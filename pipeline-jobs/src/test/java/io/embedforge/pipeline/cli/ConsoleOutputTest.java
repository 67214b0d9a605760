package io.embedforge.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.pipeline.ChildJvm;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.stage.StageId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run prints when its stdout and stderr go to a file, as under a scheduler: {@code run} of
 * every stage on {@code conf/local.yaml} in a child JVM with the main class path only (so the
 * bundled log4j configuration applies, as with {@code bin/embedforge}), with a 1 s progress
 * interval and {@code --progress-json}. No progress-bar carriage returns, none of the expected
 * warnings, ingest's counts as a table, every summary line of the plan and the stages, timestamped
 * progress lines with an ETA during every stage that runs a while (never 30 s without a line), and
 * a progress file whose lines parse and whose stages are the registry's.
 */
@Tag("slow")
class ConsoleOutputTest extends SparkTestBase {
    /** What the log must not hold: progress bars, the silenced warnings, record dumps. */
    private static final List<String> NOISE =
            List.of(
                    "\r",
                    "native-hadoop",
                    "resolves to a loopback address",
                    "SPARK_LOCAL_IP",
                    "Truncated the string representation of a plan",
                    "CUDA is not supported",
                    "AutoNonVariableTypeMode",
                    "RoleCounts[");

    /**
     * A stage running at least this long must have printed progress lines with an ETA. An ETA needs
     * one phase (one Spark job's label) seen on two ticks with a rate; a stage of several
     * one-second jobs has none, e.g. decontaminate on an idle machine: 5.0 s, five phases, every
     * line "ETA unknown". 10 s leaves room for that and still covers ingest and the miners on a
     * loaded machine.
     */
    private static final double LONG_STAGE_SECONDS = 10;

    /** The bound: a running stage is never this long without a line. */
    private static final Duration MAX_SILENCE = Duration.ofSeconds(30);

    static final Pattern PROGRESS =
            Pattern.compile(
                    "(\\S+Z) progress: stage (\\d+) of (\\d+) (\\S+), ([^:]+): (\\d+)(/~?\\d+)? (\\S+),"
                            + " \\S+ \\S+/s, ETA (\\S+)");

    private static final Pattern STARTED = Pattern.compile("== (\\S+) +started (\\S+)");

    private static final Pattern FINISHED = Pattern.compile("== (\\S+) +finished in ([0-9.]+) s.*");

    @Test
    void aRunIntoAFileHasProgressLinesButNoProgressBarsNorExpectedWarnings(@TempDir Path dir)
            throws Exception {
        Path conf = repoRoot().resolve("conf/local.yaml");
        Path log = dir.resolve("run.log");
        Path json = dir.resolve("progress/run.jsonl");
        String text = run(conf, dir, log, json);
        for (String noise : NOISE) {
            assertFalse(
                    text.contains(noise), () -> "the log holds " + noise.strip() + ":\n" + text);
        }
        assertTrue(text.startsWith("plan for "), text);
        for (StageId stage : StageId.values()) {
            assertTrue(text.matches("(?s).*\n== " + stage + " +started .*"), stage + "\n" + text);
            assertTrue(text.matches("(?s).*\n== " + stage + " +finished in .*"), stage.id());
            if (!stage.tables().isEmpty()) {
                assertTrue(text.matches("(?s).*\n   " + stage + " +rows: .*"), stage.id());
            }
        }
        assertTrue(text.contains("\nmanifest: " + dir.resolve("out/manifest.json")), text);
        assertTrue(text.contains("\nreport:   " + dir.resolve("out/report")), text);
        assertTrue(
                text.matches("(?s).*\n  source +input +table +read +expanded +written .*"), text);
        for (SourceConfig source :
                ConfigLoader.load(conf, ConfigLoader.Overrides.none()).sources()) {
            for (InputSpec in : source.inputs()) {
                String row = "\n  " + source.name() + " +" + in.role() + " +[a-z]+ +\\d+ .*";
                assertTrue(text.matches("(?s).*" + row), row);
            }
        }
        checkProgressLines(text);
        checkProgressFile(json);
    }

    private static String run(Path conf, Path dir, Path log, Path json) throws Exception {
        List<String> classPath =
                ChildJvm.classPath().stream().filter(e -> !e.endsWith("test-classes")).toList();
        List<String> cmd =
                ChildJvm.command(
                        List.of("-Xmx2g", "-Dai.djl.offline=true", "-Dfile.encoding=UTF-8"),
                        classPath,
                        EmbedForge.class.getName());
        cmd.addAll(
                List.of(
                        "run",
                        "--conf",
                        conf.toString(),
                        "--out",
                        dir.resolve("out").toString(),
                        "--progress-interval",
                        "1",
                        "--progress-json",
                        json.toString()));
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    /**
     * Every stage that ran {@link #LONG_STAGE_SECONDS} or more printed progress lines of its own,
     * one of them with an ETA, and never went {@link #MAX_SILENCE} without one.
     */
    private static void checkProgressLines(String text) {
        List<String> lines = Arrays.asList(text.split("\n"));
        int stageCount = StageId.values().length;
        for (int i = 0; i < lines.size(); i++) {
            Matcher started = STARTED.matcher(lines.get(i));
            if (!started.matches()) {
                continue;
            }
            String stage = started.group(1);
            Instant last = Instant.parse(started.group(2));
            List<Matcher> progress = new ArrayList<>();
            int j = i + 1;
            Matcher finished = FINISHED.matcher(lines.get(j));
            for (; !finished.matches(); finished = FINISHED.matcher(lines.get(++j))) {
                Matcher m = PROGRESS.matcher(lines.get(j));
                if (m.matches()) {
                    assertEquals(stage, m.group(4), lines.get(j));
                    assertEquals(String.valueOf(stageCount), m.group(3), lines.get(j));
                    Instant at = Instant.parse(m.group(1));
                    assertSilenceBelowBound(stage, last, at);
                    last = at;
                    progress.add(m);
                }
            }
            assertEquals(stage, finished.group(1), lines.get(j));
            double seconds = Double.parseDouble(finished.group(2));
            Instant end = Instant.parse(started.group(2)).plusMillis((long) (seconds * 1000));
            assertSilenceBelowBound(stage, last, end);
            if (seconds >= LONG_STAGE_SECONDS) {
                assertFalse(progress.isEmpty(), stage + " ran " + seconds + " s without progress");
                assertTrue(
                        progress.stream().anyMatch(m -> !m.group(9).equals("unknown")),
                        stage + ": no progress line with an ETA\n" + text);
            }
        }
        assertTrue(text.contains(", encoding: "), "mine-dense's encoding step:\n" + text);
    }

    private static void assertSilenceBelowBound(String stage, Instant from, Instant to) {
        Duration gap = Duration.between(from, to);
        assertTrue(
                gap.compareTo(MAX_SILENCE) <= 0,
                stage + ": no progress line for " + gap + " from " + from);
    }

    /**
     * The progress file: JSON lines with the documented fields; a started and a finished line for
     * each stage of the registry, in its order.
     */
    private static void checkProgressFile(Path json) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        List<String> started = new ArrayList<>();
        List<String> finished = new ArrayList<>();
        int reports = 0;
        for (String line : Files.readAllLines(json, StandardCharsets.UTF_8)) {
            JsonNode n = mapper.readTree(line);
            for (String field :
                    List.of(
                            "timestamp",
                            "stage",
                            "stage_index",
                            "stage_count",
                            "step",
                            "done",
                            "total",
                            "unit",
                            "rate",
                            "eta_s")) {
                assertTrue(n.has(field), field + " in " + line);
            }
            Instant.parse(n.get("timestamp").asText());
            assertEquals(StageId.values().length, n.get("stage_count").asInt(), line);
            String stage = n.get("stage").asText();
            assertEquals(StageId.named(stage).ordinal() + 1, n.get("stage_index").asInt(), line);
            switch (n.get("step").asText()) {
                case "started" -> started.add(stage);
                case "finished" -> finished.add(stage);
                default -> reports++;
            }
        }
        List<String> registry = Arrays.stream(StageId.values()).map(StageId::id).toList();
        assertEquals(registry, started);
        assertEquals(registry, finished);
        assertTrue(reports > 0, "no progress report in " + json);
    }
}
