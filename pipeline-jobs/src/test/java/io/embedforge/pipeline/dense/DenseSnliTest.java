package io.embedforge.pipeline.dense;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.SeededHash;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.schema.CorpusTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.stage.Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Real data: SNLI dev, premise -> entailment hypothesis, corpus = every hypothesis of the lines
 * read (entailed, neutral, contradicting). Skipped when {@code ../shared/data} is absent.
 */
class DenseSnliTest extends SparkTestBase {
    /** Entailment pairs used: small enough for a two-core CI machine. */
    private static final int PAIRS = 150;

    @Test
    void minedNegativesAreHarderThanRandomAndNeverPositives() throws Exception {
        Path data = sharedData();
        assumeTrue(data != null && Files.isDirectory(data.resolve("snli")), "no shared SNLI");
        Path snli = data.resolve("snli");
        List<String> s1 = Files.readAllLines(snli.resolve("s1.dev"), StandardCharsets.UTF_8);
        List<String> s2 = Files.readAllLines(snli.resolve("s2.dev"), StandardCharsets.UTF_8);
        List<String> labels =
                Files.readAllLines(snli.resolve("labels.dev"), StandardCharsets.UTF_8);

        List<Row> examples = new ArrayList<>();
        Map<String, String> corpus = new LinkedHashMap<>();
        Map<String, List<String>> positivesOfQuery = new HashMap<>();
        for (int i = 0; i < s1.size() && examples.size() < PAIRS; i++) {
            String premise = TextNormalizer.normalize(s1.get(i));
            String hypothesis = TextNormalizer.normalize(s2.get(i));
            String hid = StableIds.of("snli", hypothesis);
            corpus.put(hid, hypothesis);
            if (!labels.get(i).trim().equals("entailment")) {
                continue;
            }
            String qid = StableIds.of("snli", premise);
            positivesOfQuery.computeIfAbsent(qid, k -> new ArrayList<>()).add(hid);
            examples.add(DenseMiningJobTest.example("snli", qid, premise, hid, hypothesis));
        }
        List<Row> docs = new ArrayList<>();
        corpus.forEach((id, text) -> docs.add(DenseMiningJobTest.doc("snli", id, null, text)));

        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.RANGE_MIN,
                        1,
                        DenseParams.RANGE_MAX,
                        30,
                        DenseParams.QUERY_BLOCK,
                        64,
                        DenseParams.CORPUS_BLOCK,
                        128);
        DenseMiningJob.Result r =
                DenseMiningJob.apply(
                        spark().createDataFrame(examples, RetrievalTable.SCHEMA),
                        spark().createDataFrame(docs, CorpusTable.SCHEMA),
                        p,
                        null);
        List<Row> out = r.examples().collectAsList();
        assertEquals(examples.size(), out.size());

        Map<String, float[]> passages = new HashMap<>();
        Map<String, float[]> queries = new HashMap<>();
        for (Row e : r.newEmbeddings().collectAsList()) {
            List<Float> v = e.getList(2);
            float[] f = new float[v.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = v.get(i);
            }
            (e.getString(0).equals("query") ? queries : passages).put(e.getString(1), f);
        }
        List<String> corpusIds = new ArrayList<>(corpus.keySet());
        Map<String, String> queryIdOfExample = new HashMap<>();
        for (Row e : examples) {
            queryIdOfExample.put(e.getString(2), e.getString(3));
        }
        double negSum = 0;
        double randomSum = 0;
        int negCount = 0;
        int randomCount = 0;
        for (Row x : out) {
            String qid = queryIdOfExample.get(x.getString(2));
            List<String> negIds = x.getList(7);
            List<Double> scores = x.getList(8);
            for (int i = 0; i < negIds.size(); i++) {
                assertFalse(
                        positivesOfQuery.get(qid).contains(negIds.get(i)),
                        "negative is a positive");
                negSum += scores.get(i);
                negCount++;
            }
            float[] q = queries.get(StableIds.of(x.getString(4)));
            for (int j = 0; j < 5; j++) {
                long h = SeededHash.rank(1, x.getString(2), Integer.toString(j));
                String rid = corpusIds.get((int) Long.remainderUnsigned(h, corpusIds.size()));
                float[] d = passages.get(StableIds.of(corpus.get(rid)));
                double s = 0;
                for (int k = 0; k < q.length; k++) {
                    s += (double) q[k] * d[k];
                }
                randomSum += s;
                randomCount++;
            }
        }
        assertTrue(negCount >= examples.size() * 5, "most examples get negatives: " + negCount);
        double negMean = negSum / negCount;
        double randomMean = randomSum / randomCount;
        assertTrue(
                negMean > randomMean + 0.03,
                "mined mean " + negMean + " vs random mean " + randomMean);
        r.unpersist();
    }
}
