package io.embedforge.pipeline.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.ClusteringTable;
import io.embedforge.pipeline.schema.LabelSummary;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StageOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelNegativesTest extends SparkTestBase {
    private static final String[] INTENTS = {
        "card lost", "card arrival", "top up failed", "exchange rate", "refund pending",
        "pin blocked", "cash withdrawal", "transfer failed", "wrong amount", "card declined"
    };

    static Dataset<Row> classification(List<Row> rows) {
        return spark().createDataFrame(rows, nullable(ClassificationTable.SCHEMA));
    }

    static Dataset<Row> clustering(List<Row> rows) {
        return spark().createDataFrame(rows, nullable(ClusteringTable.SCHEMA));
    }

    static StructType nullable(StructType schema) {
        StructType out = new StructType();
        for (StructField f : schema.fields()) {
            out = out.add(f.name(), f.dataType(), true);
        }
        return out;
    }

    static Row cls(String source, String id, String text, String label) {
        return RowFactory.create(source, "train", id, text, label, label);
    }

    static Row paper(String id, String title, String abs, String category, String... categories) {
        return RowFactory.create("arxiv", "train", id, title, abs, category, List.of(categories));
    }

    /** Ten intents with 2 to 6 examples each, an emotion-like binary set. */
    static List<Row> banking() {
        List<Row> rows = new ArrayList<>();
        for (int l = 0; l < INTENTS.length; l++) {
            for (int i = 0; i < 2 + l % 5; i++) {
                rows.add(
                        cls(
                                "banking77",
                                "b" + l + "_" + i,
                                "question " + i + " about " + INTENTS[l],
                                INTENTS[l]));
            }
        }
        for (int i = 0; i < 4; i++) {
            rows.add(
                    cls(
                            "counterfactual",
                            "c" + i,
                            "review number " + i,
                            i % 2 == 0 ? "counterfactual" : "not counterfactual"));
        }
        return rows;
    }

    @Test
    void labelTextsAsPositivesAndNegativesWithRejectsAndClustering() {
        List<Row> cls = new ArrayList<>(banking());
        cls.add(cls("banking77", "lonely", "a question nobody else asks", "rare intent"));
        cls.add(cls("banking77", "blank", "   ", "card lost"));
        List<Row> papers =
                List.of(
                        paper("p1", "Deep nets", "We train nets.", "cs.LG", "cs.LG", "stat.ML"),
                        paper("p2", "Shallow nets", "We do not.", "cs.LG", "cs.LG"),
                        paper("p3", "Galaxies", "Stars far away.", "astro-ph", "astro-ph"),
                        paper("p4", "Quasars", null, "astro-ph", "astro-ph"),
                        paper("p5", "Proteins", "Folding.", "q-bio", "q-bio", "cs.LG"),
                        paper("p6", "Enzymes", "Catalysis.", "q-bio", "q-bio"),
                        paper("p7", "Statistics", "Tests.", "stat.ML", "stat.ML"),
                        paper("p8", "Regression", "Lines.", "stat.ML", "stat.ML"),
                        paper("p9", "Mystery", "Unknown field.", "xx.YY", "xx.YY"),
                        paper("p10", "Mystery 2", "Unknown field.", "xx.YY", "xx.YY"));
        LabelParams p =
                Settings.with(
                        LabelParams.defaults(),
                        LabelParams.SOURCES,
                        Map.of(
                                "arxiv",
                                new LabelSourceParams(
                                        null,
                                        List.of("title", "abstract"),
                                        null,
                                        List.of("cs.LG", "astro-ph", "q-bio", "stat.ML"))));
        StageOutput<LabelSummary> out =
                LabelNegatives.apply(classification(cls), clustering(papers), p);
        List<Row> rows = out.examples().collectAsList();
        Map<String, Set<String>> labelsOfPaper =
                Map.of(
                        "Deep nets",
                        Set.of("cs.LG", "stat.ML"),
                        "We train nets.",
                        Set.of("cs.LG", "stat.ML"),
                        "Proteins",
                        Set.of("q-bio", "cs.LG"),
                        "Folding.",
                        Set.of("q-bio", "cs.LG"));
        int banking = 0;
        for (Row r : rows) {
            List<String> negs = r.getList(6);
            assertEquals(new HashSet<>(negs).size(), negs.size(), "distinct negatives");
            assertFalse(negs.contains(r.getString(5)), "positive is not a negative");
            List<Double> scores = r.getList(7);
            scores.forEach(s -> assertNull(s));
            List<Integer> ranks = r.getList(8);
            for (int i = 0; i < ranks.size(); i++) {
                assertEquals(i + 1, ranks.get(i));
            }
            assertEquals(NegativesTable.MINER_LABEL, r.getString(9));
            switch (r.getString(0)) {
                case "banking77" -> {
                    banking++;
                    assertEquals(7, negs.size());
                    assertTrue(List.of(INTENTS).containsAll(negs));
                    assertEquals("classification", r.getString(3));
                }
                case "counterfactual" -> assertEquals(1, negs.size(), "binary: one negative");
                case "arxiv" -> {
                    assertEquals("clustering", r.getString(3));
                    Set<String> own =
                            labelsOfPaper.getOrDefault(r.getString(4), Set.of(r.getString(5)));
                    negs.forEach(n -> assertFalse(own.contains(n), n + " is a label of " + r));
                    // astro-ph has a single abstract (p4 has none): rare for the P2P target.
                    Set<String> set =
                            r.getString(10).equals("title")
                                    ? Set.of("cs.LG", "astro-ph", "q-bio", "stat.ML")
                                    : Set.of("cs.LG", "q-bio", "stat.ML");
                    long others = set.stream().filter(l -> !own.contains(l)).count();
                    assertEquals(others, negs.size(), "every other category of " + r);
                }
                default -> throw new AssertionError(r);
            }
        }
        assertEquals(40, banking);
        long arxiv = rows.stream().filter(r -> r.getString(0).equals("arxiv")).count();
        assertEquals(8 + 6, arxiv, "8 titles and 6 abstracts");

        Map<String, String> rejects = new TreeMap<>();
        for (Row r : out.rejects().collectAsList()) {
            rejects.put(r.getString(5), r.getString(4));
        }
        assertEquals(
                Map.of(
                        "classification/lonely#text", LabelNegatives.RARE_LABEL,
                        "classification/blank#text", LabelNegatives.MISSING_TEXT,
                        "clustering/p4#abstract", LabelNegatives.MISSING_TEXT,
                        "clustering/p3#abstract", LabelNegatives.RARE_LABEL,
                        "clustering/p9#title", LabelNegatives.UNKNOWN_LABEL,
                        "clustering/p9#abstract", LabelNegatives.UNKNOWN_LABEL,
                        "clustering/p10#title", LabelNegatives.UNKNOWN_LABEL,
                        "clustering/p10#abstract", LabelNegatives.UNKNOWN_LABEL),
                rejects);
    }

    @Test
    void perLabelCapBalancesLabelsAndIsReported() {
        LabelParams p =
                Settings.with(
                        LabelParams.defaults(),
                        "seed",
                        7L,
                        LabelParams.NEGATIVES,
                        3,
                        LabelParams.MAX_PER_LABEL,
                        3);
        StageOutput<LabelSummary> out =
                LabelNegatives.apply(classification(banking()), clustering(List.of()), p);
        LabelSummary summary = out.summary().get();
        Map<String, Map<String, Long>> before = summary.labelDistributionBefore();
        Map<String, Map<String, Long>> after = summary.labelDistributionAfter();
        assertEquals(6L, before.get("banking77/text").get("refund pending"));
        assertEquals(3L, after.get("banking77/text").get("refund pending"));
        assertEquals(2L, after.get("banking77/text").get("card lost"));
        long kept = after.get("banking77/text").values().stream().mapToLong(Long::longValue).sum();
        assertEquals(28L, kept);
        assertEquals(32L, summary.itemsSampled());
        assertEquals(32L, summary.examples().examplesOut());
        assertEquals(12L, summary.itemsSampledOut());
        Map<String, Long> histogram = summary.examples().negativesHistogram();
        assertEquals(Map.of("0", 0L, "1", 4L, "2", 0L, "3", 28L), histogram);
    }

    @Test
    void exampleModeUsesOtherExamplesAndIsIndependentOfPartitioning() {
        List<Row> input = banking();
        LabelParams p =
                Settings.with(
                        LabelParams.defaults(),
                        "seed",
                        3L,
                        LabelParams.SAMPLE_RATE,
                        0.8,
                        LabelParams.DEFAULT_MODE,
                        LabelSourceParams.MODE_EXAMPLE);
        List<Row> one =
                sorted(
                        LabelNegatives.apply(
                                        classification(input).repartition(1),
                                        clustering(List.of()),
                                        p)
                                .examples());
        List<Row> eight =
                sorted(
                        LabelNegatives.apply(
                                        classification(input).repartition(8),
                                        clustering(List.of()),
                                        p)
                                .examples());
        assertEquals(one, eight);

        Map<String, String> labelOfText = new HashMap<>();
        for (Row r : input) {
            labelOfText.put(r.getString(3), r.getString(5));
        }
        int exampleBased = 0;
        for (Row r : one) {
            if (r.getString(0).equals("counterfactual")) {
                assertEquals(NegativesTable.MINER_LABEL, r.getString(9), "binary keeps label text");
                continue;
            }
            exampleBased++;
            assertEquals(NegativesTable.MINER_EXAMPLE, r.getString(9));
            String label = labelOfText.get(r.getString(4));
            assertNotEquals(r.getString(4), r.getString(5));
            assertEquals(
                    label,
                    labelOfText.get(r.getString(5)),
                    "positive is an example of the same label");
            List<String> negs = r.getList(6);
            assertEquals(7, negs.size());
            Set<String> negLabels = new HashSet<>();
            for (String n : negs) {
                assertNotEquals(label, labelOfText.get(n));
                negLabels.add(labelOfText.get(n));
            }
            assertEquals(7, negLabels.size(), "one example from each of 7 other labels");
        }
        assertTrue(exampleBased >= 30, "most of 40 banking examples at rate 0.8: " + exampleBased);
    }

    @Test
    void runReadsPresentTablesAndWritesExamplesAndRejects(@TempDir Path dir) {
        Path out = dir.resolve("out");
        classification(banking())
                .write()
                .parquet(
                        out.resolve(StageId.DECONTAMINATE.folder())
                                .resolve(ClassificationTable.NAME)
                                .toString());
        LabelSummary summary =
                new LabelNegatives()
                        .run(
                                StageContext.direct(
                                        spark(), null, StageId.LABEL_NEGATIVES, out.toString()),
                                LabelParams.defaults());
        Path stage = out.resolve(StageId.LABEL_NEGATIVES.folder());
        assertTrue(Files.isDirectory(stage.resolve(NegativesTable.EXAMPLES_DIR)));
        assertTrue(Files.isDirectory(stage.resolve(RejectsTable.NAME)));
        assertEquals(44L, summary.examples().examplesOut());
        assertEquals(44L, summary.itemsIn());
    }

    private static List<Row> sorted(Dataset<Row> examples) {
        List<Row> rows = new ArrayList<>(examples.collectAsList());
        rows.sort((a, b) -> a.getString(2).compareTo(b.getString(2)));
        return rows;
    }
}
