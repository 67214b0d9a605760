package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.train.ablate.AblationReport;
import io.embedforge.train.data.ContractParquet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ablate} on the tiny seeded model: a synthetic blend (3 + 2 batches of 2 rows), 2 + 1
 * steps, two small eval sets from test-data. One variant is planted to fail (its run folder exists
 * beforehand); the others must train, evaluate and be reported.
 */
class AblateCommandTest {

    @TempDir static Path dir;

    static Path conf;
    static Path evalConf;
    static Path blend;
    static JsonNode result;
    static String markdown;
    static int exitCode;

    @BeforeAll
    static void ablate() throws IOException {
        blend = dir.resolve("blend");
        ContractParquet.writeStage(blend.resolve("stage1"), 1, 3, 2, 1);
        ContractParquet.writeStage(blend.resolve("stage2"), 2, 2, 2, 1);
        conf = dir.resolve("train.yaml");
        String tiny = Files.readString(EvalCommandTest.TRAIN_TINY);
        Files.writeString(
                conf,
                tiny.replaceAll("(?m)^max_length: .*$", "max_length: 32")
                        .replaceAll("(?m)^chunk_size: .*$", "chunk_size: 8")
                        .replaceAll("(?m)^batch_size: .*$", "batch_size: 2"));
        evalConf = dir.resolve("eval.yaml");
        Files.writeString(
                evalConf,
                "data_root: "
                        + Path.of("..", "test-data").toAbsolutePath().normalize()
                        + "\nsets:\n"
                        + "  - {name: sts, kind: sts, path: stsbenchmark/sts-test.csv,"
                        + " instruction: Retrieve semantically similar text.}\n"
                        + "  - {name: nq, kind: retrieval, corpus: nq/corpus.jsonl, queries:"
                        + " nq/queries.jsonl, qrels: nq/qrels/train.tsv, instruction: Retrieve"
                        + " passages, on_bad_record: skip}\n");
        Path out = dir.resolve("out");
        Files.createDirectories(out.resolve(AblateCommand.RUNS).resolve("causal-eos"));
        exitCode = run(out, "pooling=mean,eos", "mask=causal,bidirectional");
        result = new ObjectMapper().readTree(out.resolve(AblationReport.JSON).toFile());
        markdown = Files.readString(out.resolve(AblationReport.MARKDOWN));
    }

    static int run(Path out, String... grid) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--config", conf.toString(),
                                "--eval", evalConf.toString(),
                                "--blend", blend.toString(),
                                "--out", out.toString(),
                                "--stage1-steps", "2",
                                "--stage2-steps", "1",
                                "--batch-size", "8"));
        if (grid.length > 0) {
            args.add("--grid");
            args.addAll(List.of(grid));
        }
        AblateCommand cmd = new AblateCommand();
        cmd.console(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return new CommandLine(cmd).execute(args.toArray(String[]::new));
    }

    @Test
    void everyVariantIsTrainedAndScoredAndThePlantedFailureIsRecorded() {
        assertEquals(CliStyle.EXIT_FAILURE, exitCode);
        List<String> names = new ArrayList<>();
        result.get("variants").forEach(v -> names.add(v.get("variant").asText()));
        assertEquals(
                List.of("causal-mean", "causal-eos", "bidirectional-mean", "bidirectional-eos"),
                names);
        assertTrue(result.get("complete").asBoolean(), "all variants are in");
        for (JsonNode v : result.get("variants")) {
            if (v.get("variant").asText().equals("causal-eos")) {
                assertEquals("failed", v.get("status").asText());
                assertTrue(
                        v.get("error").asText().contains("runs/causal-eos exists"),
                        v.get("error").asText());
                continue;
            }
            assertEquals("ok", v.get("status").asText(), v.toString());
            assertEquals(3, v.get("steps").asInt(), v.toString());
            double rho = v.get("sets").get("sts").get("spearman").asDouble();
            double ndcg = v.get("sets").get("nq").get("ndcg@10").asDouble();
            assertTrue(rho >= -1 && rho <= 1 && ndcg >= 0 && ndcg <= 1, v.toString());
            assertEquals((rho + ndcg) / 2, v.get("mean").asDouble(), 1e-12);
        }
        assertEquals(2, result.get("stage1_steps").asInt());
        assertTrue(Files.isRegularFile(dir.resolve("out").resolve(AblationReport.CHART)));
        assertTrue(
                markdown.contains("| causal-eos | causal | eos | - | - | - | failed:"), markdown);
        assertTrue(markdown.contains("- bidirectional-eos > causal-eos: not measured"), markdown);
    }

    /** Causal and bidirectional variants of one pooling head train and score differently. */
    @Test
    void masksDiffer() {
        JsonNode vs = result.get("variants");
        assertNotEquals(vs.get(0).get("mean").asDouble(), vs.get(2).get("mean").asDouble());
        assertNotEquals(
                vs.get(0).get("last_loss").asDouble(), vs.get(2).get("last_loss").asDouble());
    }

    @Test
    void theSameSeedGivesTheSameTable() throws IOException {
        Path again = dir.resolve("again");
        assertEquals(CliStyle.EXIT_OK, run(again, "pooling=mean", "mask=bidirectional"));
        String md = Files.readString(again.resolve(AblationReport.MARKDOWN));
        List<String> rows = md.lines().filter(l -> l.contains("-mean |")).toList();
        assertEquals(1, rows.size(), md);
        for (String row : rows) {
            assertTrue(markdown.contains(row), row + "\nnot in\n" + markdown);
        }
    }

    @Test
    void badGridsAreRejectedBeforeAnyTraining() {
        String[][] bad = {
            {"pooling=mean,max", "--grid pooling=max is not allowed; allowed: latent, mean, eos"},
            {
                "masks=causal",
                "--grid key masks (in masks=causal) is not allowed; allowed: mask, pooling"
            },
            {"mask=causal,causal", "--grid mask=causal,causal: mask=causal twice"},
            {"pooling=", "--grid pooling=: empty value for pooling"},
            {"mask", "--grid mask is not key=value[,value...]; keys: mask, pooling"},
        };
        for (String[] b : bad) {
            Path out = dir.resolve("bad");
            String err =
                    rejected(
                            "--out",
                            out.toString(),
                            "--stage1-steps",
                            "2",
                            "--stage2-steps",
                            "1",
                            "--grid",
                            b[0]);
            assertTrue(err.contains(b[1]), err);
            assertFalse(Files.exists(out), b[0]);
        }
    }

    /** Runs the styled command expecting exit code 2; returns its error output. */
    private static String rejected(String... more) {
        StringWriter err = new StringWriter();
        CommandLine cli = CliStyle.apply(new CommandLine(new AblateCommand()));
        cli.setErr(new PrintWriter(err));
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--config", conf.toString(),
                                "--eval", evalConf.toString(),
                                "--blend", blend.toString()));
        args.addAll(List.of(more));
        assertEquals(
                CliStyle.EXIT_BAD_INPUT, cli.execute(args.toArray(String[]::new)), args.toString());
        return err.toString();
    }

    @Test
    void aMissingBudgetIsRejected() {
        String err = rejected("--out", dir.resolve("nobudget").toString());
        assertTrue(err.contains("ablate needs a step budget"), err);
        assertFalse(Files.exists(dir.resolve("nobudget")));
    }
}
