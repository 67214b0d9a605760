package io.embedforge.pipeline.dense;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The blocked Spark search equals a brute-force double-precision reference. */
class DenseBlockedSearchTest extends SparkTestBase {
    private static final StructType VECS =
            new StructType()
                    .add("source", DataTypes.StringType, false)
                    .add("id", DataTypes.StringType, false)
                    .add("vec", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    private record Vec(String source, String id, float[] v) {}

    private static List<Vec> random(Random rnd, String source, String prefix, int n, int dim) {
        List<Vec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] v = new float[dim];
            for (int j = 0; j < dim; j++) {
                v[j] = (float) rnd.nextGaussian();
            }
            out.add(new Vec(source, prefix + i, v));
        }
        return out;
    }

    private static Dataset<Row> toDataset(List<Vec> vecs, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (Vec v : vecs) {
            List<Float> list = new ArrayList<>();
            for (float x : v.v()) {
                list.add(x);
            }
            rows.add(RowFactory.create(v.source(), v.id(), list));
        }
        return spark().createDataFrame(rows, VECS).repartition(partitions);
    }

    /** Brute force: per query, every candidate of its source sorted by (score desc, id asc). */
    private static Map<String, List<String>> bruteForce(List<Vec> qs, List<Vec> cs, int k) {
        Map<String, List<String>> out = new HashMap<>();
        for (Vec q : qs) {
            List<Vec> pool = new ArrayList<>();
            Map<String, Double> score = new HashMap<>();
            for (Vec c : cs) {
                if (!c.source().equals(q.source())) {
                    continue;
                }
                double s = 0;
                for (int j = 0; j < c.v().length; j++) {
                    s += (double) q.v()[j] * c.v()[j];
                }
                score.put(c.id(), s);
                pool.add(c);
            }
            pool.sort(
                    Comparator.comparingDouble((Vec c) -> -score.get(c.id()))
                            .thenComparing(Vec::id));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < Math.min(k, pool.size()); i++) {
                ids.add(pool.get(i).id());
            }
            out.put(q.source() + "/" + q.id(), ids);
        }
        return out;
    }

    @ParameterizedTest(name = "query_block={0} corpus_block={1} partitions={2} score_tile={3}")
    @CsvSource({
        "1000,1000,1,100000",
        "7,13,3,100000",
        "1,5,4,100000",
        "3,2,2,100000",
        "1000,40,2,90"
    })
    void blockedSearchEqualsBruteForce(int qBlock, int cBlock, int partitions, int scoreTile) {
        Random rnd = new Random(7);
        int dim = 24;
        List<Vec> qs = new ArrayList<>(random(rnd, "a", "q", 30, dim));
        qs.addAll(random(rnd, "b", "q", 11, dim));
        List<Vec> cs = new ArrayList<>(random(rnd, "a", "d", 90, dim));
        cs.addAll(random(rnd, "b", "d", 8, dim));
        int k = 10;
        Map<String, List<String>> expected = bruteForce(qs, cs, k);

        List<Row> rows =
                BlockedSearch.search(
                                toDataset(qs, partitions),
                                toDataset(cs, partitions),
                                k,
                                qBlock,
                                cBlock,
                                1,
                                scoreTile)
                        .collectAsList();
        assertEquals(qs.size(), rows.size());
        for (Row r : rows) {
            List<Row> hits = r.getList(2);
            List<String> ids = new ArrayList<>();
            float prev = Float.POSITIVE_INFINITY;
            for (Row h : hits) {
                ids.add(h.getString(0));
                assertTrue(h.getFloat(1) <= prev, "hits sorted by score");
                prev = h.getFloat(1);
            }
            assertEquals(expected.get(r.getString(0) + "/" + r.getString(1)), ids);
        }
    }

    @Test
    void tiesAreBrokenByIdWhateverTheBlocks() {
        float[][] q = {{1, 0}};
        float[] flatC = {1, 0, 1, 0, 0.5f, 0, 1, 0};
        String[] ids = {"d3", "d1", "d0", "d2"};
        BlockScorer.TopK[] top = BlockScorer.topK(q[0], 1, flatC, 4, 2, ids, 3, 1, null);
        assertEquals(
                List.of(1, 3, 0), List.of(top[0].index()[0], top[0].index()[1], top[0].index()[2]));
    }

    @Test
    void aTieAtTheKthPlaceIsBrokenByIdNotByTheEngine() {
        float[] q = {1, 0};
        float[] flatC = {0.5f, 0, 1, 0, 0.5f, 0, 0.5f, 0, 0.5f, 0};
        String[] ids = {"d4", "d0", "d2", "d1", "d3"};
        BlockScorer.TopK[] top = BlockScorer.topK(q, 1, flatC, 5, 2, ids, 2, 1, null);
        assertEquals(List.of(1, 3), List.of(top[0].index()[0], top[0].index()[1]));
    }

    @Test
    void aNanScoreNeverBecomesAHit() {
        float[] q = {1, 0, 0, 1};
        float[] flatC = {Float.NaN, 0, 0.9f, 0.1f, 0.2f, 0.8f};
        String[] ids = {"d0", "d1", "d2"};
        BlockScorer.TopK[] top = BlockScorer.topK(q, 2, flatC, 3, 2, ids, 2, 1, null);
        assertEquals(List.of(1, 2), List.of(top[0].index()[0], top[0].index()[1]));
        assertEquals(List.of(2, 1), List.of(top[1].index()[0], top[1].index()[1]));
    }

    @Test
    void aFloorDropsOnlyCandidatesScoringBelowIt() {
        float[] q = {1, 0};
        float[] flatC = {0.9f, 0, 0.5f, 0, 0.2f, 0, 0.5f, 0};
        String[] ids = {"d0", "d1", "d2", "d3"};
        BlockScorer.TopK[] top = BlockScorer.topK(q, 1, flatC, 4, 2, ids, 3, 1, new float[] {0.5f});
        assertEquals(
                List.of(0, 1, 3), List.of(top[0].index()[0], top[0].index()[1], top[0].index()[2]));
        top = BlockScorer.topK(q, 1, flatC, 4, 2, ids, 3, 1, new float[] {0.95f});
        assertEquals(0, top[0].index().length);
    }

    @Test
    void aReusedScorerGivesTheExactTopKOfEveryBlockAndTileDespiteManyTies() {
        // Small integer components: products are exact in float and most scores tie.
        Random rnd = new Random(11);
        int nq = 23;
        int dim = 3;
        int k = 5;
        float[] q = new float[nq * dim];
        for (int i = 0; i < q.length; i++) {
            q[i] = rnd.nextInt(3) - 1;
        }
        try (BlockScorer scorer = new BlockScorer(q, nq, dim, 2, 4 * 37)) {
            for (int block = 0; block < 3; block++) {
                int nc = 37;
                float[] c = new float[nc * dim];
                for (int i = 0; i < c.length; i++) {
                    c[i] = rnd.nextInt(3) - 1;
                }
                String[] ids = new String[nc];
                for (int j = 0; j < nc; j++) {
                    ids[j] = String.format("b%d-%02d", block, (j * 17) % nc);
                }
                float[] floors = new float[nq];
                for (int r = 0; r < nq; r++) {
                    floors[r] = block == 1 ? Float.NEGATIVE_INFINITY : rnd.nextInt(3) - 1;
                }
                BlockScorer.TopK[] top = scorer.topK(c, nc, ids, k, floors);
                for (int r = 0; r < nq; r++) {
                    int row = r;
                    List<Integer> expected = new ArrayList<>();
                    for (int j = 0; j < nc; j++) {
                        expected.add(j);
                    }
                    float[] s = new float[nc];
                    for (int j = 0; j < nc; j++) {
                        for (int d = 0; d < dim; d++) {
                            s[j] += q[row * dim + d] * c[j * dim + d];
                        }
                    }
                    expected.removeIf(j -> s[j] < floors[row]);
                    expected.sort(
                            Comparator.comparingDouble((Integer j) -> -s[j])
                                    .thenComparing(j -> ids[j]));
                    List<Integer> got = new ArrayList<>();
                    for (int j : top[r].index()) {
                        got.add(j);
                    }
                    assertEquals(
                            expected.subList(0, Math.min(k, expected.size())),
                            got,
                            "block " + block + " row " + r);
                }
            }
        }
    }
}
