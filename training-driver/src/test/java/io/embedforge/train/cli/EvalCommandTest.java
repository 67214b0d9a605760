package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.encoder.EncoderConfig;
import io.embedforge.encoder.TextEncoder;
import io.embedforge.train.eval.BadRecords;
import io.embedforge.train.eval.E5Embedder;
import io.embedforge.train.eval.EvalReaders;
import io.embedforge.train.eval.Evaluator;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.TrainState;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.loss.Trainables;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code eval} on conf/eval-demo.yaml with a trained (checkpoint), the untrained and E5. */
class EvalCommandTest {

    static final Path TRAIN_TINY = Path.of("..", "conf", "train-tiny.yaml");
    static final Path DEMO = Path.of("..", "conf", "eval-demo.yaml");

    @TempDir static Path dir;

    static JsonNode result;

    /**
     * A run folder whose newest checkpoint is corrupt and whose older one holds trainables that
     * differ from the untrained model's (scaled), as a training run would leave.
     */
    static Path fakeRun(Path run) throws IOException {
        TrainConfig c = TrainConfig.read(TRAIN_TINY);
        Checkpoints ckpts = new Checkpoints(run.resolve("checkpoints"), System.err);
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = Trainer.buildModel(m, c);
            Map<String, HostTensor> t = new LinkedHashMap<>();
            for (Parameter p : Trainables.of(model)) {
                t.put(p.getName(), HostTensor.of(p.getArray().mul(3).add(0.05f)));
            }
            Checkpoints.Payload payload =
                    folder -> {
                        SafetensorsWriter.write(folder.resolve(Checkpoints.WEIGHTS), t, Map.of());
                        Files.writeString(folder.resolve(Checkpoints.OPTIMIZER), "moments");
                    };
            ckpts.save(new TrainState(1, 2, 2, 1, false, c.seed()), payload, 3);
            Path newer = ckpts.save(new TrainState(1, 4, 4, 3, false, c.seed()), payload, 3);
            Files.writeString(newer.resolve(Checkpoints.WEIGHTS), "truncated");
        }
        return run;
    }

    @BeforeAll
    static void runDemo() throws IOException {
        Path run = fakeRun(dir.resolve("run"));
        Path out = dir.resolve("out");
        int code =
                new CommandLine(new EvalCommand())
                        .execute(
                                "--config", TRAIN_TINY.toString(),
                                "--run", run.toString(),
                                "--eval", DEMO.toString(),
                                "--out", out.toString(),
                                "--batch-size", "64");
        assertEquals(0, code);
        result = new ObjectMapper().readTree(out.resolve(EvalCommand.EVAL_JSON).toFile());
    }

    @Test
    void demoWritesEveryModelAndSetWithMetricsInRange() {
        List<String> sets = new ArrayList<>();
        result.get("sets").forEach(s -> sets.add(s.get("name").asText()));
        assertEquals(
                List.of(
                        "stsbenchmark-test",
                        "stsbenchmark-train",
                        "nq",
                        "hotpotqa",
                        "amazon-counterfactual",
                        "biorxiv-p2p"),
                sets);
        List<String> models = new ArrayList<>();
        result.get("results").fieldNames().forEachRemaining(models::add);
        assertEquals(List.of("trained", "untrained", "e5"), models);
        assertTrue(result.get("complete").asBoolean(), "every column written: complete");
        for (String model : models) {
            JsonNode per = result.get("results").get(model).get("sets");
            for (String set : sets) {
                JsonNode m = per.get(set);
                if (set.startsWith("sts")) {
                    double rho = m.get("spearman").asDouble();
                    assertTrue(rho >= -1 && rho <= 1, model + " " + set + " " + rho);
                } else if (set.equals("amazon-counterfactual")) {
                    for (String k : List.of("accuracy", "f1_macro")) {
                        double v = m.get(k).asDouble();
                        assertTrue(v >= 0 && v <= 1, model + " " + set + " " + k + " " + v);
                    }
                } else if (set.equals("biorxiv-p2p")) {
                    double v = m.get("v_measure").asDouble();
                    assertTrue(v >= 0 && v <= 1, model + " " + set + " " + v);
                } else {
                    for (String k : List.of("ndcg@10", "recall@1", "recall@10", "recall@100")) {
                        double v = m.get(k).asDouble();
                        assertTrue(v >= 0 && v <= 1, model + " " + set + " " + k + " " + v);
                    }
                    assertTrue(m.get("recall@10").asDouble() >= m.get("recall@1").asDouble(), set);
                }
            }
        }
    }

    @Test
    void plantedBadRecordsAreCountedInEvalJson() {
        JsonNode train = result.get("sets").get(1);
        assertEquals(9, train.get("counts").get("pairs").asInt());
        long skipped = 0;
        for (Iterator<JsonNode> it = train.get("skipped").elements(); it.hasNext(); ) {
            skipped += it.next().asLong();
        }
        assertEquals(5, skipped);
        JsonNode nq = result.get("sets").get(2);
        assertEquals(1, nq.get("skipped").get(BadRecords.UNKNOWN_DOC).asInt());
        assertTrue(
                nq.get("skipped_examples").toString().contains("train.tsv:7: qrels_unknown_doc"),
                nq.get("skipped_examples").toString());
    }

    /**
     * AmazonCounterfactual: EN_train.tsv's 10 records lose the one of three columns (9 read, the
     * quoted one unquoted); the 4 test texts all read. biorxiv: 11 lines, the object title and the
     * bad JSON line skipped: 9 items in 4 categories (the skipped title was the only molecular
     * biology one).
     */
    @Test
    void classificationAndClusteringSetsAreReadWithTheirBadRecordsCounted() {
        JsonNode amazon = result.get("sets").get(4);
        assertEquals("classification", amazon.get("kind").asText());
        assertEquals(9, amazon.get("counts").get("train_read").asInt(), amazon.toString());
        assertEquals(4, amazon.get("counts").get("test").asInt(), amazon.toString());
        assertEquals(3, amazon.get("counts").get("labels").asInt(), amazon.toString());
        assertEquals(
                Map.of(BadRecords.MALFORMED, 1),
                new ObjectMapper().convertValue(amazon.get("skipped"), Map.class),
                amazon.toString());
        JsonNode bio = result.get("sets").get(5);
        assertEquals(9, bio.get("counts").get("items").asInt(), bio.toString());
        assertEquals(4, bio.get("counts").get("labels").asInt(), bio.toString());
        assertEquals(
                Map.of(BadRecords.MALFORMED, 1, BadRecords.MISSING_FIELD, 1),
                new ObjectMapper().convertValue(bio.get("skipped"), Map.class),
                bio.toString());
    }

    @Test
    void trainedComesFromTheNewestGoodCheckpointAndDiffersFromUntrained() {
        JsonNode c = result.get("checkpoint");
        assertTrue(c.get("folder").asText().endsWith("ckpt-000000002-s1"), c.toString());
        assertEquals(2, c.get("global_step").asInt());
        JsonNode r = result.get("results");
        assertNotEquals(
                r.get("trained").get("sets").get("stsbenchmark-train").get("spearman").asDouble(),
                r.get("untrained")
                        .get("sets")
                        .get("stsbenchmark-train")
                        .get("spearman")
                        .asDouble());
    }

    /**
     * {@code --checkpoint} scores the one folder it names (the older checkpoint here: same scores
     * as {@code --run}'s newest good one), refuses a corrupt folder naming the file (exit 2, no
     * eval.json), a missing folder, and {@code --run} together with it.
     */
    @Test
    void checkpointOptionScoresThatFolderAndRefusesACorruptOne() throws IOException {
        Path ckpts = dir.resolve("run").resolve("checkpoints");
        Path out = dir.resolve("out-ckpt");
        String[] common = {
            "--config",
            TRAIN_TINY.toString(),
            "--eval",
            DEMO.toString(),
            "--models",
            "trained",
            "--batch-size",
            "64"
        };
        List<String> good = new ArrayList<>(List.of(common));
        good.addAll(
                List.of(
                        "--checkpoint",
                        ckpts.resolve("ckpt-000000002-s1").toString(),
                        "--out",
                        out.toString()));
        assertEquals(0, new CommandLine(new EvalCommand()).execute(good.toArray(String[]::new)));
        JsonNode r = new ObjectMapper().readTree(out.resolve(EvalCommand.EVAL_JSON).toFile());
        assertEquals(2, r.get("checkpoint").get("global_step").asInt());
        assertEquals(
                withoutSeconds(
                        result.get("results").get("trained").get("sets").get("stsbenchmark-train")),
                withoutSeconds(
                        r.get("results").get("trained").get("sets").get("stsbenchmark-train")),
                "the same checkpoint scores the same");

        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cli = new CommandLine(new EvalCommand());
        cli.setErr(new java.io.PrintWriter(err));
        Path bad = dir.resolve("out-corrupt");
        for (String[] extra :
                List.of(
                        new String[] {
                            "--checkpoint", ckpts.resolve("ckpt-000000004-s1").toString()
                        },
                        new String[] {
                            "--checkpoint", ckpts.resolve("ckpt-000000009-s1").toString()
                        },
                        new String[] {
                            "--checkpoint",
                            ckpts.resolve("ckpt-000000002-s1").toString(),
                            "--run",
                            dir.resolve("run").toString()
                        })) {
            List<String> a = new ArrayList<>(List.of(common));
            a.addAll(List.of(extra));
            a.addAll(List.of("--out", bad.toString()));
            assertNotEquals(0, cli.execute(a.toArray(String[]::new)), List.of(extra).toString());
            assertTrue(!Files.exists(bad.resolve(EvalCommand.EVAL_JSON)));
        }
        assertTrue(
                err.toString().contains("ckpt-000000004-s1 is corrupt or partial")
                        && err.toString().contains(Checkpoints.WEIGHTS + " has SHA-256"),
                err.toString());
        assertTrue(err.toString().contains("ckpt-000000009-s1 does not exist"), err.toString());
        assertTrue(err.toString().contains("not both"), err.toString());
    }

    /** A set's scores without its timing, which differs from run to run. */
    private static JsonNode withoutSeconds(JsonNode scores) {
        com.fasterxml.jackson.databind.node.ObjectNode copy =
                ((com.fasterxml.jackson.databind.node.ObjectNode) scores).deepCopy();
        copy.remove("seconds");
        return copy;
    }

    @Test
    void badModelOptionsAreRefused() {
        CommandLine cli = new CommandLine(new EvalCommand());
        String[] base = {
            "--config",
            TRAIN_TINY.toString(),
            "--eval",
            DEMO.toString(),
            "--out",
            dir.resolve("x").toString()
        };
        List<String> a = new ArrayList<>(List.of(base));
        a.addAll(List.of("--models", "trained"));
        assertEquals(1, cli.execute(a.toArray(String[]::new)));
        List<String> b = new ArrayList<>(List.of(base));
        b.addAll(List.of("--models", "bert"));
        assertEquals(1, cli.execute(b.toArray(String[]::new)));
        assertTrue(!Files.exists(dir.resolve("x").resolve(EvalCommand.EVAL_JSON)));
    }

    /**
     * E5 on the 14 good STS Benchmark pairs of test-data: Spearman above 0.6, which chance (random
     * similarities) reaches with probability about 0.02 for 14 pairs.
     */
    @Test
    void e5BeatsChanceOnTheTinyStsSet() throws IOException {
        BadRecords bad = new BadRecords(true);
        EvalReaders.StsPairs train =
                EvalReaders.stsBenchmark(
                        Path.of("..", "test-data", "stsbenchmark", "sts-train.csv"), 0, bad);
        EvalReaders.StsPairs test =
                EvalReaders.stsBenchmark(
                        Path.of("..", "test-data", "stsbenchmark", "sts-test.csv"), 0, bad);
        List<String> a = new ArrayList<>(train.a());
        a.addAll(test.a());
        List<String> b = new ArrayList<>(train.b());
        b.addAll(test.b());
        double[] gold = new double[a.size()];
        System.arraycopy(train.gold(), 0, gold, 0, train.gold().length);
        System.arraycopy(test.gold(), 0, gold, train.gold().length, test.gold().length);
        assertEquals(14, gold.length);
        try (TextEncoder enc = TextEncoder.load(EncoderConfig.defaults())) {
            double rho = Evaluator.sts(new E5Embedder(enc), "unused", a, b, gold);
            assertTrue(rho > 0.6, "E5 Spearman " + rho);
        }
    }
}
