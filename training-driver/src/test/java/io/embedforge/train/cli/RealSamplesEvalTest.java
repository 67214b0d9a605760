package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * conf/eval-real-samples.yaml on ../shared/data, capped hard (caps replaced in a copy of the
 * config), with E5 and the untrained tiny model. Skipped when the shared data is absent.
 */
class RealSamplesEvalTest {

    @TempDir Path dir;

    static Path sharedData() {
        return Stream.of(Path.of("..", "..", "shared", "data"), Path.of("/work/shared/data"))
                .filter(p -> Files.isDirectory(p.resolve("stsbenchmark")))
                .findFirst()
                .orElse(null);
    }

    /**
     * The config with every set capped hard: STS 12 pairs, SciFact 5 claims over 15 documents,
     * classification 2 fits on 2 texts per label scored on 20 test texts, arXiv 40 items.
     */
    static String capped(String yaml) {
        String out =
                yaml.replace(
                                "    path: stsbenchmark/sts-test.csv\n",
                                "    path: stsbenchmark/sts-test.csv\n    max_pairs: 12\n")
                        .replace(
                                "    max_corpus: 400\n", "    max_queries: 5\n    max_corpus: 15\n")
                        .replace(
                                "protocol: {max_rows: 100}",
                                "protocol: {n_experiments: 2, max_rows: 40}")
                        .replace(
                                "protocol: {samples_per_label: 32, fit_share: 0.3, max_rows: 1000}",
                                "protocol: {n_experiments: 2, samples_per_label: 2, max_rows: 20,"
                                        + " fit_share: 0.3}")
                        .replaceAll(
                                "protocol: \\{(?!n_experiments)[^}]*\\}",
                                "protocol: {n_experiments: 2, samples_per_label: 2, max_rows: 20}");
        String classification = "kind: classification";
        int sets = out.split(classification, -1).length - 1;
        int capped = out.split("samples_per_label: 2,", -1).length - 1;
        assertEquals(sets, capped, out);
        assertTrue(
                out.contains("max_pairs: 12")
                        && out.contains("max_corpus: 15")
                        && out.contains("fit_share: 0.3}")
                        && out.contains("max_rows: 40"),
                out);
        return out;
    }

    @Test
    void cappedRealSamplesWithE5AndUntrained() throws IOException {
        Path data = sharedData();
        Assumptions.assumeTrue(data != null, "../shared/data is absent");
        String yaml = capped(Files.readString(Path.of("..", "conf", "eval-real-samples.yaml")));
        Path conf = dir.resolve("real.yaml");
        Files.writeString(conf, yaml);
        Path out = dir.resolve("out");
        int code =
                new CommandLine(new EvalCommand())
                        .execute(
                                "--config", Path.of("..", "conf", "train-tiny.yaml").toString(),
                                "--eval", conf.toString(),
                                "--data-root", data.toString(),
                                "--out", out.toString(),
                                "--batch-size", "64");
        assertEquals(0, code);
        JsonNode r = new ObjectMapper().readTree(out.resolve(EvalCommand.EVAL_JSON).toFile());
        Map<String, JsonNode> sets = new LinkedHashMap<>();
        r.get("sets").forEach(s -> sets.put(s.get("name").asText(), s));
        assertEquals(
                List.of(
                        "stsb-test",
                        "scifact-head",
                        "banking77",
                        "emotion",
                        "amazon-counterfactual-en",
                        "tweet-sentiment-extraction",
                        "arxiv-p2p"),
                List.copyOf(sets.keySet()));
        assertEquals(12, sets.get("stsb-test").get("counts").get("pairs").asInt());
        JsonNode sci = sets.get("scifact-head");
        assertEquals(5, sci.get("counts").get("queries").asInt());
        assertTrue(sci.get("skipped").get("qrels_unknown_doc").asInt() > 0, sci.toString());
        assertEquals(10003, sets.get("banking77").get("counts").get("train_read").asInt());
        assertEquals(77, sets.get("banking77").get("counts").get("labels").asInt());
        assertEquals(16000, sets.get("emotion").get("counts").get("train_read").asInt());
        assertEquals(
                4018, sets.get("amazon-counterfactual-en").get("counts").get("train_read").asInt());
        JsonNode tweet = sets.get("tweet-sentiment-extraction").get("counts");
        assertEquals(20, tweet.get("test").asInt(), tweet.toString());
        assertEquals(
                Math.round(0.3 * tweet.get("test_read").asInt()),
                tweet.get("fit_pool").asInt(),
                tweet.toString());
        JsonNode arxiv = sets.get("arxiv-p2p").get("counts");
        assertEquals(200, arxiv.get("items_read").asInt(), arxiv.toString());
        assertEquals(40, arxiv.get("items").asInt(), arxiv.toString());
        for (String model : List.of("untrained", "e5")) {
            JsonNode per = r.get("results").get(model).get("sets");
            double rho = per.get("stsb-test").get("spearman").asDouble();
            assertTrue(rho >= -1 && rho <= 1);
            double v = per.get("scifact-head").get("ndcg@10").asDouble();
            assertTrue(v >= 0 && v <= 1, model + " " + v);
            for (String set : List.of("banking77", "emotion", "amazon-counterfactual-en")) {
                double acc = per.get(set).get("accuracy").asDouble();
                assertTrue(acc >= 0 && acc <= 1, model + " " + set + " " + acc);
            }
            double vm = per.get("arxiv-p2p").get("v_measure").asDouble();
            assertTrue(vm >= 0 && vm <= 1, model + " " + vm);
        }
        JsonNode e5 = r.get("results").get("e5").get("sets");
        assertTrue(e5.get("stsb-test").get("spearman").asDouble() > 0.5, e5.toString());
        assertTrue(e5.get("scifact-head").get("ndcg@10").asDouble() > 0.5, e5.toString());
    }
}
