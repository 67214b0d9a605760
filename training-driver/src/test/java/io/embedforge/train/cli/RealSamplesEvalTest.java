package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    @Test
    void cappedRealSamplesWithE5AndUntrained() throws IOException {
        Path data = sharedData();
        Assumptions.assumeTrue(data != null, "../shared/data is absent");
        String yaml = Files.readString(Path.of("..", "conf", "eval-real-samples.yaml"));
        yaml =
                yaml.replace(
                                "    max_queries: 500\n    max_corpus: 3000\n",
                                "    max_queries: 5\n    max_corpus: 20\n")
                        .replace(
                                "    path: stsbenchmark/sts-test.csv\n",
                                "    path: stsbenchmark/sts-test.csv\n    max_pairs: 12\n")
                        .replace(
                                "    max_corpus: 400\n",
                                "    max_queries: 5\n    max_corpus: 15\n");
        assertTrue(yaml.contains("max_pairs: 12") && yaml.contains("max_corpus: 15"), yaml);
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
        JsonNode sets = r.get("sets");
        assertEquals(12, sets.get(0).get("counts").get("pairs").asInt());
        assertEquals(5, sets.get(1).get("counts").get("queries").asInt());
        assertEquals(20, sets.get(1).get("counts").get("corpus").asInt());
        JsonNode sci = sets.get(2);
        assertEquals(5, sci.get("counts").get("queries").asInt());
        assertTrue(sci.get("skipped").get("qrels_unknown_doc").asInt() > 0, sci.toString());
        for (String model : List.of("untrained", "e5")) {
            JsonNode per = r.get("results").get(model).get("sets");
            double rho = per.get("stsb-test").get("spearman").asDouble();
            assertTrue(rho >= -1 && rho <= 1);
            for (String set : List.of("snli-dev", "scifact-head")) {
                double v = per.get(set).get("ndcg@10").asDouble();
                assertTrue(v >= 0 && v <= 1, model + " " + set + " " + v);
            }
        }
        JsonNode e5 = r.get("results").get("e5").get("sets");
        assertTrue(e5.get("stsb-test").get("spearman").asDouble() > 0.5, e5.toString());
        assertTrue(e5.get("scifact-head").get("ndcg@10").asDouble() > 0.5, e5.toString());
    }
}
