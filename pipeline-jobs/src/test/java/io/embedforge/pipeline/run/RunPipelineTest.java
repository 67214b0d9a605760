package io.embedforge.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.cli.EmbedForge;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.train.FileTrees;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} on {@code conf/local.yaml} end to end in the shared session: every stage commits, a
 * re-run skips all, and after a simulated kill during blend a re-run without {@code --force} redoes
 * only blend and report, with identical rows; the trainer then trains and exports from that blend.
 */
@Tag("slow")
class RunPipelineTest extends SparkTestBase {
    @Test
    void runSkipsAndResumes(@TempDir Path out) throws Exception {
        PipelineConfig config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"),
                        new ConfigLoader.Overrides(null, Map.of()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        List<StageRunner.Outcome> first = runAll(config, out, log);
        assertEquals(StageId.values().length, first.size());
        assertTrue(first.stream().noneMatch(StageRunner.Outcome::skipped));
        for (StageId stage : StageId.values()) {
            String dir = stage.folder();
            assertTrue(Files.exists(out.resolve(dir).resolve(StageRunner.MARKER)), dir);
            assertTrue(Files.exists(out.resolve(dir).resolve("manifest.json")), dir);
        }
        assertTrue(Files.exists(out.resolve("report/index.html")));
        List<String> stage1 = rows(out, TrainingContract.STAGE1);
        List<String> stage2 = rows(out, TrainingContract.STAGE2);
        assertFalse(stage1.isEmpty());
        assertTrue(stage2.size() > stage1.size());

        List<StageRunner.Outcome> second = runAll(config, out, log);
        assertTrue(second.stream().allMatch(StageRunner.Outcome::skipped));

        // Simulated kill during blend's commit: no marker, damaged output, no report.
        Files.delete(out.resolve("blend").resolve(StageRunner.MARKER));
        try (Stream<Path> files = Files.list(out.resolve("blend/stage1"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
                Files.delete(f);
            }
        }
        FileTrees.delete(out.resolve("report"));
        Plan plan =
                new Pipeline(config, out.toString(), false, log)
                        .plan(spark().sparkContext().hadoopConfiguration(), Selection.all());
        for (Plan.Step step : plan.steps()) {
            boolean redone = step.stage() == StageId.BLEND || step.stage() == StageId.REPORT;
            assertEquals(redone ? Plan.Action.RUN : Plan.Action.SKIP, step.action(), step.reason());
        }
        assertEquals("no committed output", plan.step(StageId.BLEND).reason());
        Plan fromBm25 =
                new Pipeline(config, out.toString(), false, log)
                        .plan(
                                spark().sparkContext().hadoopConfiguration(),
                                Selection.range(StageId.MINE_BM25, null));
        assertEquals(Plan.Action.NOT_SELECTED, fromBm25.step(StageId.MINE_DENSE).action());
        assertEquals(Plan.Action.SKIP, fromBm25.step(StageId.MINE_BM25).action());
        assertEquals(Plan.Action.RUN, fromBm25.step(StageId.BLEND).action());
        List<StageRunner.Outcome> third = runAll(config, out, log);
        for (StageRunner.Outcome o : third) {
            boolean redone = o.stage().equals("blend") || o.stage().equals("report");
            assertEquals(!redone, o.skipped(), o.stage());
        }
        assertEquals(stage1, rows(out, TrainingContract.STAGE1));
        assertEquals(stage2, rows(out, TrainingContract.STAGE2));
        assertTrue(Files.exists(out.resolve("report/index.html")));

        // The trainer reads what blend wrote, in this JVM where Spark tasks loaded PyTorch on
        // other threads (libtorch's grad mode is per thread): two updates, then an export.
        String trainConf = repoRoot().resolve("conf/train-tiny.yaml").toString();
        Path train = out.resolve("train");
        assertEquals(
                0,
                EmbedForge.execute(
                        "train",
                        "--config",
                        trainConf,
                        "--blend",
                        out.resolve("blend").toString(),
                        "--run",
                        train.toString(),
                        "--max-steps",
                        "2"));
        try (Stream<String> lines = Files.lines(train.resolve("metrics.jsonl"))) {
            assertEquals(2, lines.count());
        }
        assertEquals(
                0,
                EmbedForge.execute(
                        "export",
                        "--config",
                        trainConf,
                        "--run",
                        train.toString(),
                        "--out",
                        out.resolve("model").toString()));
        assertTrue(Files.exists(out.resolve("model/adapter_model.safetensors")));
    }

    /** Plans every stage against {@code out} and runs the plan in the shared session. */
    private static List<StageRunner.Outcome> runAll(
            PipelineConfig config, Path out, PrintStream log) {
        Pipeline pipeline = new Pipeline(config, out.toString(), false, log);
        Plan plan = pipeline.plan(spark().sparkContext().hadoopConfiguration(), Selection.all());
        return pipeline.execute(spark(), plan);
    }

    private static List<String> rows(Path out, String stage) {
        return spark()
                .read()
                .parquet(out.resolve("blend").resolve(stage).toString())
                .orderBy(TrainingContract.BATCH_INDEX, TrainingContract.EXAMPLE_ID)
                .collectAsList()
                .stream()
                .map(Row::toString)
                .toList();
    }
}
