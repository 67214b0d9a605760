package io.embedforge.pipeline.blend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.stage.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The blend's fallback miner {@code random}: fills short rows, never with a positive. */
class BlendFallbackTest extends SparkTestBase {

    private static Row row(String source, String id, String q, String pos, List<String> negs) {
        List<Double> scores = new ArrayList<>();
        List<Integer> ranks = new ArrayList<>();
        for (int i = 0; i < negs.size(); i++) {
            scores.add(0.5 - i / 10.0);
            ranks.add(i + 1);
        }
        return RowFactory.create(
                source, "train", id, "retrieval", q, pos, negs, scores, ranks, "dense");
    }

    /**
     * nq's pool is {p1, p1b, p2, p3, p4, q1}: q1 has two positives (p1, p1b) and is itself the
     * positive of q4. With min_negatives 3, (q1, p1) can only be filled with exactly p2, p3, p4: a
     * fill that took its query, its other positive, or looked at too few positions fails. msmarco's
     * pool is its one positive: its row stays short and is dropped.
     */
    private static Map<String, Dataset<Row>> inputs(int partitions) {
        List<Row> rows =
                List.of(
                        row("nq", "a", "q1", "p1", List.of()),
                        row("nq", "b", "q1", "p1b", List.of()),
                        row("nq", "c", "q2", "p2", List.of("p3")),
                        row("nq", "d", "q3", "p3", List.of()),
                        row("nq", "e", "q4", "q1", List.of()),
                        row("nq", "f", "q5", "p4", List.of("p1", "p2", "p3")),
                        row("msmarco", "x", "x1", "y1", List.of()));
        Map<String, Dataset<Row>> m = new LinkedHashMap<>();
        m.put(
                "mine-dense",
                spark().createDataFrame(rows, NegativesTable.SCHEMA).repartition(partitions));
        return m;
    }

    private static BlendParams params(long seed) {
        return Settings.with(
                Settings.with(
                        Settings.with(BlendParams.defaults(), "seed", seed), "min_negatives", 3),
                "fallback",
                "random");
    }

    @Test
    void randomFallbackFillsShortRowsWithAdmissibleTextsDeterministically(@TempDir Path dir) {
        BlendSummary s =
                Blend.apply(inputs(1), BlendTestData.SOURCES, params(7L), Map.of())
                        .write(BlendTest.context(dir));
        BlendSummary.NegativesPolicy policy = s.negativesPolicy();
        assertEquals("random", policy.fallback().get("nq"));
        // a, b, d, e need 3, c needs 2; f has 3 already
        assertEquals(Map.of("msmarco", 0L, "nq", 5L), policy.filledRows());
        assertEquals(Map.of("msmarco", 0L, "nq", 14L), policy.filledNegatives());
        assertEquals(Map.of("msmarco", 1L, "nq", 0L), policy.tooFewNegatives());
        // the distribution is the mined one, before the fill
        assertEquals(Map.of("0", 4L, "1", 1L, "3", 1L), policy.negativesPerRow().get("nq"));

        Map<String, Set<String>> positives =
                Map.of(
                        "q1", Set.of("p1", "p1b"),
                        "q2", Set.of("p2"),
                        "q3", Set.of("p3"),
                        "q4", Set.of("q1"),
                        "q5", Set.of("p4"));
        Set<String> pool = Set.of("p1", "p1b", "p2", "p3", "p4", "q1");
        Map<String, Row> byId = new TreeMap<>();
        for (Row r : BlendTest.read(dir, "stage2")) {
            byId.put(r.getAs("example_id"), r);
            String q = r.getAs("query");
            List<String> negs = r.getList(r.fieldIndex("negatives"));
            assertEquals(negs.size(), new HashSet<>(negs).size(), "distinct: " + negs);
            assertTrue(negs.size() >= 3, r.toString());
            for (String n : negs) {
                assertTrue(pool.contains(n), n);
                assertTrue(!n.equals(q) && !positives.get(q).contains(n), q + " got " + n);
            }
        }
        assertEquals(Set.of("a", "b", "c", "d", "e", "f"), byId.keySet());
        assertEquals(
                Set.of("p2", "p3", "p4"),
                new HashSet<>(byId.get("a").getList(byId.get("a").fieldIndex("negatives"))));
        Row c = byId.get("c");
        assertEquals("p3", c.getList(c.fieldIndex("negatives")).get(0));
        assertEquals("dense,random,random", c.getAs("negative_miner"));
        List<Double> scores = c.getList(c.fieldIndex("negative_scores"));
        assertEquals(0.5, scores.get(0));
        assertNull(scores.get(1));
        assertEquals("random,random,random", byId.get("a").getAs("negative_miner"));
        assertEquals("dense", byId.get("f").getAs("negative_miner"));

        // The same fills whatever the partitioning.
        Blend.apply(inputs(3), BlendTestData.SOURCES, params(7L), Map.of())
                .write(BlendTest.context(dir.resolve("again")));
        assertEquals(
                BlendTest.read(dir, "stage2").toString(),
                BlendTest.read(dir.resolve("again"), "stage2").toString());
    }

    @Test
    void fallbackIsCheckedAndDropByDefault() {
        assertEquals("drop", BlendParams.defaults().fallback("nq"));
        BlendParams o =
                Settings.with(
                        BlendParams.defaults(),
                        "sources",
                        Map.of("nq", Map.of("fallback", "random")));
        assertEquals("random", o.fallback("nq"));
        assertEquals("drop", o.fallback("msmarco"));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Settings.with(BlendParams.defaults(), "fallback", "bm25"));
        assertTrue(e.getMessage().contains("stages.blend.fallback"), e.getMessage());
        assertTrue(e.getMessage().contains("bm25"), e.getMessage());
        assertTrue(e.getMessage().contains("[drop, random]"), e.getMessage());
    }
}
