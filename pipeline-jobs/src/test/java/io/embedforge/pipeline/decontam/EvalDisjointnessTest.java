package io.embedforge.pipeline.decontam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.train.eval.EvalConfig;
import io.embedforge.train.eval.EvalSets;
import io.embedforge.train.eval.EvalSets.LoadedSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No text that {@code eval} scores reaches the data the training stages read: the profile is
 * ingested and decontaminated with its own settings, and every text field of every row, of every
 * split, of the decontaminated tables (what mine-dense, mine-bm25 and label-negatives read, and so
 * the blend) is compared, normalised, with the scored texts of the profile's eval configs, read
 * here independently with eval's readers. The ingested tables do contain eval texts (SciFact test
 * claims, STS Benchmark test sentences, Banking77/Emotion/AmazonCounterfactual test texts), so the
 * check can fail. With {@code ../shared/data}: {@code conf/real-samples.yaml} and the {@code
 * eval_configs} it lists; without: {@code conf/local.yaml} on test-data with {@code
 * conf/eval-demo.yaml} given as its eval config.
 */
@Tag("slow")
class EvalDisjointnessTest extends SparkTestBase {

    static final List<String> TABLES = List.of("sts", "classification", "clustering", "retrieval");

    @TempDir Path out;

    @Test
    void theDecontaminatedTablesHoldNoEvalText() throws IOException {
        boolean real = sharedData() != null;
        Path profile = repoRoot().resolve(real ? "conf/real-samples.yaml" : "conf/local.yaml");
        PipelineConfig config = ConfigLoader.load(profile, ConfigLoader.Overrides.none());
        Decontaminate stage = new Decontaminate();
        DecontamParams params = stage.params(config);
        if (real) {
            assertEquals(
                    List.of(repoRoot().resolve("conf/eval-real-samples.yaml").toString()),
                    params.evalConfigs());
        } else {
            params =
                    new DecontamParams(
                            params.evalSplits(),
                            params.trainSplits(),
                            params.nearDuplicates(),
                            params.maxNgramDf(),
                            List.of(repoRoot().resolve("conf/eval-demo.yaml").toString()));
        }
        IngestJob.ingest(StageContext.direct(spark(), config, StageId.INGEST, out.toString()));
        DecontamSummary summary =
                stage.run(
                        StageContext.direct(spark(), config, StageId.DECONTAMINATE, out.toString()),
                        params);
        Set<String> eval = evalTexts(params.evalConfigs());
        Map<String, Long> before = overlap(StageId.INGEST, eval);
        Map<String, Long> after = overlap(StageId.DECONTAMINATE, eval);
        System.out.println(
                "eval texts "
                        + eval.size()
                        + "; rows with an eval text, ingested: "
                        + before
                        + ", decontaminated: "
                        + after
                        + "; "
                        + summary);
        assertFalse(before.isEmpty(), "the ingested tables hold no eval text: the test is void");
        assertEquals(Map.of(), after);
        if (real) {
            assertTrue(
                    summary.otherSplitsDropped().getOrDefault("retrieval/scifact/test", 0L) > 0,
                    summary.toString());
            // the 100 scored arXiv papers leave training (title and abstract each match; measured
            // 101 drops: two records of the head share an abstract), the others stay
            DecontamSummary.TableSource arxiv = summary.perTableSource().get("clustering/arxiv");
            assertTrue(arxiv.evalSet() >= 100 && arxiv.kept() > 0, arxiv.toString());
        }
    }

    /** The normalised scored texts of every set of the configs. */
    static Set<String> evalTexts(List<String> configs) throws IOException {
        Set<String> out = new HashSet<>();
        for (String c : configs) {
            Path file = Path.of(c);
            EvalConfig ec = EvalConfig.read(file);
            for (LoadedSet s : EvalSets.load(ec, ec.dataRoot(file))) {
                s.scoredTexts().forEach(t -> out.add(TextNormalizer.normalize(t)));
            }
        }
        return out;
    }

    /**
     * Rows per {@code table/source/split} of a stage's tables with a text field in {@code eval}.
     */
    private Map<String, Long> overlap(StageId stage, Set<String> eval) {
        Map<String, Long> hits = new TreeMap<>();
        for (String table : TABLES) {
            Path dir = out.resolve(stage.folder()).resolve(table);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            List<String> fields =
                    Decontaminate.TABLES.stream()
                            .filter(t -> t.name().equals(table))
                            .findFirst()
                            .orElseThrow()
                            .fields();
            for (Row r : spark().read().parquet(dir.toString()).collectAsList()) {
                for (String f : fields) {
                    String t = TextNormalizer.normalize(r.getAs(f));
                    if (t != null && eval.contains(t)) {
                        hits.merge(
                                table + "/" + r.getAs("source") + "/" + r.getAs("split"),
                                1L,
                                Long::sum);
                        break;
                    }
                }
            }
        }
        return hits;
    }
}
