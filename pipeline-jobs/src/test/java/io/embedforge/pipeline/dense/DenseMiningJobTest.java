package io.embedforge.pipeline.dense;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.CorpusTable;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/** The stage on small inline data with the embedded E5: invariants, rejects, reuse. */
class DenseMiningJobTest extends SparkTestBase {

    static Row example(String source, String qid, String query, String pid, String positive) {
        return RowFactory.create(
                source,
                "train",
                StableIds.of(source, qid, pid),
                qid,
                query,
                pid,
                positive,
                CollectionConverters.asScala(List.<String>of()),
                CollectionConverters.asScala(List.<String>of()));
    }

    static Row doc(String source, String id, String title, String text) {
        return RowFactory.create(source, "train", id, title, text);
    }

    /** A pair-only source (pool mode) and a source with a corpus, plus bad rows. */
    private static Dataset<Row> retrieval() {
        List<Row> rows = new ArrayList<>();
        String[][] pairs = {
            {"how do I bake bread", "Knead the dough, let it rise, then bake the loaf at 220 C."},
            {"what is the capital of France", "Paris is the capital and largest city of France."},
            {"symptoms of the flu", "Influenza causes fever, cough, sore throat and body aches."},
            {"how to change a car tyre", "Loosen the nuts, jack up the car and swap the wheel."},
            {
                "best way to learn Spanish",
                "Daily practice with native speakers helps learn Spanish."
            },
            {"why is the sky blue", "Rayleigh scattering of sunlight makes the sky look blue."},
            {"how do vaccines work", "Vaccines train the immune system to recognise a pathogen."},
            {"what is the capital of Italy", "Rome is the capital city of Italy."},
            {"how to bake a cake", "Mix flour, sugar, eggs and butter, then bake for 30 minutes."},
            {"what causes a cold", "Colds are caused by rhinoviruses spread by droplets."},
            {"how to fix a flat bicycle tyre", "Patch the inner tube and pump the bicycle tyre."},
            {"capital city of Germany", "Berlin is the capital of Germany."},
        };
        for (int i = 0; i < pairs.length; i++) {
            rows.add(example("pairs", "q" + i, pairs[i][0], "p" + i, pairs[i][1]));
        }
        // A query with two positives: both must be excluded from each other's negatives.
        rows.add(example("pairs", "q0", pairs[0][0], "p9b", "Bread needs flour, water and yeast."));
        // Another query id with q0's text: its positive (the cake recipe, a likely hard negative
        // of q0) is a known positive of that text, so neither query may get the other's positive.
        rows.add(example("pairs", "q0-again", pairs[0][0], "p8", pairs[8][1]));
        rows.add(example("pairs", "qe", "   ", "pe", "An example with an empty query."));
        rows.add(
                example(
                        "docs",
                        "d-q1",
                        "who wrote Hamlet",
                        "h1",
                        "Hamlet was written by Shakespeare."));
        rows.add(
                example(
                        "docs",
                        "d-q2",
                        "who painted the Mona Lisa",
                        "m1",
                        "Leonardo painted the Mona Lisa."));
        // Positive missing from the corpus: still scored, counted in the summary.
        rows.add(
                example(
                        "docs",
                        "d-q3",
                        "tallest mountain on earth",
                        "x9",
                        "Mount Everest is the tallest mountain."));
        return spark().createDataFrame(rows, RetrievalTable.SCHEMA);
    }

    private static Dataset<Row> corpus() {
        List<Row> rows = new ArrayList<>();
        rows.add(doc("docs", "h1", null, "Hamlet was written by Shakespeare."));
        rows.add(doc("docs", "h2", null, "Hamlet was written by Shakespeare.")); // duplicate text
        rows.add(doc("docs", "m1", null, "Leonardo painted the Mona Lisa."));
        rows.add(doc("docs", "o1", "Macbeth", "A tragedy by Shakespeare about ambition."));
        rows.add(doc("docs", "o2", null, "Van Gogh painted The Starry Night."));
        rows.add(doc("docs", "o3", null, "K2 is the second highest mountain."));
        rows.add(doc("docs", "o4", null, "The Louvre museum is in Paris."));
        rows.add(doc("docs", "long", null, "word ".repeat(100)));
        rows.add(doc("docs", "empty", null, " \n "));
        return spark().createDataFrame(rows, CorpusTable.SCHEMA);
    }

    private static DenseParams params() {
        return Settings.with(
                DenseParams.defaults(),
                DenseParams.MAX_TEXT_CHARS,
                300,
                DenseParams.RANGE_MIN,
                1,
                DenseParams.RANGE_MAX,
                10,
                DenseParams.QUERY_BLOCK,
                3,
                DenseParams.CORPUS_BLOCK,
                4,
                DenseParams.NEGATIVES,
                3);
    }

    @Test
    void minesFilteredNegativesAccountsForEveryRowAndReusesEmbeddings(@TempDir Path tmp) {
        Dataset<Row> retrieval = retrieval();
        Path root = tmp.resolve("out");
        retrieval
                .write()
                .parquet(
                        root.resolve(StageId.DECONTAMINATE.folder())
                                .resolve(RetrievalTable.NAME)
                                .toString());
        corpus().write()
                .parquet(
                        root.resolve(StageId.INGEST.folder()).resolve(CorpusTable.NAME).toString());
        StageContext ctx = StageContext.direct(spark(), null, StageId.MINE_DENSE, root.toString());
        Map<String, DenseSummary.SourceCounts> summary =
                new DenseMiningJob().run(ctx, params()).sources();
        List<Row> out =
                spark().read()
                        .parquet(ctx.output(NegativesTable.EXAMPLES_DIR))
                        .sort("example_id")
                        .collectAsList();
        List<Row> rejects = spark().read().parquet(ctx.output(RejectsTable.NAME)).collectAsList();
        // Every input example is either an output row or a reject.
        assertEquals(
                retrieval.count(),
                out.size()
                        + rejects.stream().filter(x -> x.getString(3).equals("retrieval")).count());
        // Known positives per query text of a source, whatever the query ids.
        Map<String, Set<String>> positiveIds = new HashMap<>();
        Map<String, Set<String>> positiveTexts = new HashMap<>();
        for (Row x : retrieval.collectAsList()) {
            String q = x.getString(0) + "/" + x.getString(4);
            positiveIds.computeIfAbsent(q, k -> new HashSet<>()).add(x.getString(5));
            positiveTexts.computeIfAbsent(q, k -> new HashSet<>()).add(x.getString(6));
        }
        Map<String, String> queryTextOf = new HashMap<>();
        for (Row x : retrieval.collectAsList()) {
            queryTextOf.put(x.getString(2), x.getString(0) + "/" + x.getString(4));
        }
        for (Row x : out) {
            assertEquals("retrieval", x.getString(3));
            assertEquals("dense", x.getString(10));
            String q = queryTextOf.get(x.getString(2));
            List<String> negs = x.getList(6);
            List<String> negIds = x.getList(7);
            List<Double> scores = x.getList(8);
            List<Integer> ranks = x.getList(9);
            double positiveScore = x.getDouble(11);
            assertTrue(negs.size() <= 3);
            assertEquals(negs.size(), negIds.size());
            assertEquals(negs.size(), scores.size());
            assertEquals(negs.size(), ranks.size());
            assertEquals(negs.size(), new HashSet<>(negs).size(), "no duplicate negative texts");
            for (int i = 0; i < negs.size(); i++) {
                assertFalse(
                        positiveIds.get(q).contains(negIds.get(i)), "negative is a positive id");
                assertFalse(
                        positiveTexts.get(q).contains(negs.get(i)), "negative is a positive text");
                assertFalse(negs.get(i).equals(x.getString(4)), "negative is the query");
                assertTrue(Double.isFinite(scores.get(i)));
                assertTrue(scores.get(i) <= 0.95 * positiveScore + 1e-6, "perc_pos holds");
                assertTrue(ranks.get(i) >= 1 && ranks.get(i) <= 10);
                if (i > 0) {
                    assertTrue(ranks.get(i) > ranks.get(i - 1), "rank order");
                    assertTrue(scores.get(i) <= scores.get(i - 1));
                }
            }
            assertFalse(negIds.contains("h2"), "duplicate text of a positive is excluded");
        }
        Set<String> rejected = new HashSet<>();
        for (Row x : rejects) {
            assertEquals("mine-dense", x.getString(2));
            rejected.add(x.getString(3) + ":" + x.getString(4) + ":" + x.getString(5));
        }
        assertTrue(rejected.contains("corpus:text_too_long:doc_id=long"), rejected.toString());
        assertTrue(rejected.contains("corpus:empty_text:doc_id=empty"), rejected.toString());
        assertTrue(
                rejected.contains(
                        "retrieval:empty_text:example_id=" + StableIds.of("pairs", "qe", "pe")),
                rejected.toString());

        assertEquals(1L, summary.get("docs").positivesMissingFromCorpus());
        assertEquals(0L, summary.get("pairs").positivesMissingFromCorpus());
        assertEquals(true, summary.get("docs").corpusSmallerThanRangeMax());
        long fewer =
                out.stream()
                        .filter(x -> x.getString(0).equals("docs") && x.getList(6).size() < 3)
                        .count();
        assertEquals(fewer, summary.get("docs").fewerThanRequested());
        assertTrue(summary.get("pairs").removed().get("removed_positive") >= 13);
        assertEquals(1L, summary.get("docs").rejected().get("rejected_corpus_text_too_long"));
        // The manifest's summary is the one summary (no separate summary.json any more).
        assertTrue(
                ManifestWriter.mapper()
                        .valueToTree(summary.get("docs"))
                        .has("rejected_corpus_text_too_long"));

        // Second pass with other block sizes: nothing is encoded again, same negatives.
        String store = ctx.output(DenseMiningJob.EMBEDDINGS);
        long stored = spark().read().parquet(store).count();
        new DenseMiningJob()
                .run(
                        ctx,
                        Settings.with(
                                params(),
                                DenseParams.QUERY_BLOCK,
                                100,
                                DenseParams.CORPUS_BLOCK,
                                2));
        assertEquals(stored, spark().read().parquet(store).count());
        List<Row> second =
                spark().read()
                        .parquet(ctx.output(NegativesTable.EXAMPLES_DIR))
                        .sort("example_id")
                        .collectAsList();
        assertEquals(out.size(), second.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(out.get(i).getList(7), second.get(i).getList(7));
        }
    }

    @Test
    void positivesOfEveryQueryIdWithTheSameTextAreExcluded() {
        String bread = "Knead the dough, let it rise, then bake the loaf at 220 C.";
        String cake = "Mix flour, sugar, eggs and butter, then bake the cake for 30 minutes.";
        List<Row> rows = new ArrayList<>();
        rows.add(example("pairs", "a", "how do I bake bread", "bread", bread));
        rows.add(example("pairs", "b", "how do I bake bread", "cake", cake));
        String[][] others = {
            {"what is the capital of France", "Paris is the capital and largest city of France."},
            {"symptoms of the flu", "Influenza causes fever, cough, sore throat and body aches."},
            {"how to change a car tyre", "Loosen the nuts, jack up the car and swap the wheel."},
            {"why is the sky blue", "Rayleigh scattering of sunlight makes the sky look blue."},
        };
        for (int i = 0; i < others.length; i++) {
            rows.add(example("pairs", "o" + i, others[i][0], "po" + i, others[i][1]));
        }
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.RANGE_MIN,
                        1,
                        DenseParams.RANGE_MAX,
                        10,
                        DenseParams.NEGATIVES,
                        3,
                        DenseParams.POSITIVE_FILTER,
                        "none");
        DenseMiningJob.Result r =
                DenseMiningJob.apply(
                        spark().createDataFrame(rows, RetrievalTable.SCHEMA),
                        spark().createDataFrame(List.of(), CorpusTable.SCHEMA),
                        p,
                        null);
        List<Row> out = r.examples().collectAsList();
        r.unpersist();
        assertEquals(rows.size(), out.size());
        for (Row x : out) {
            if (x.getString(4).equals("how do I bake bread")) {
                List<String> negatives = x.getList(6);
                assertEquals(3, negatives.size(), negatives.toString());
                assertFalse(negatives.contains(bread), "bread recipe mined for " + x);
                assertFalse(negatives.contains(cake), "cake recipe mined for " + x);
            }
        }
    }

    /**
     * A planted query whose positive (an off-topic text) scores below every on-topic document: the
     * positive-aware filter removes the whole first window (range_max 2) and the window widens
     * until off-topic documents survive; the other query finds its negatives in the first window
     * and is not searched again.
     */
    private static Dataset<Row> plantedRetrieval() {
        return spark().createDataFrame(
                        List.of(
                                example(
                                        "docs",
                                        "bread",
                                        "how do I bake sourdough bread at home",
                                        "pos-bread",
                                        "A short history of the Byzantine navy."),
                                example(
                                        "docs",
                                        "everest",
                                        "tallest mountain on earth",
                                        "pos-everest",
                                        "Mount Everest is the tallest mountain on earth.")),
                        RetrievalTable.SCHEMA);
    }

    private static Dataset<Row> plantedCorpus() {
        List<Row> rows = new ArrayList<>();
        rows.add(doc("docs", "pos-bread", null, "A short history of the Byzantine navy."));
        rows.add(
                doc(
                        "docs",
                        "pos-everest",
                        null,
                        "Mount Everest is the tallest mountain on earth."));
        String[] onTopic = {
            "Bake sourdough bread at home with a starter, flour, water and salt.",
            "Sourdough bread at home: feed the starter, knead, proof and bake.",
            "How to bake sourdough bread at home in a Dutch oven.",
            "Home baking of sourdough bread: a step by step guide.",
            "Baking sourdough bread at home needs a lively starter.",
            "Sourdough loaves baked at home rise slowly overnight.",
        };
        for (int i = 0; i < onTopic.length; i++) {
            rows.add(doc("docs", "bread" + i, null, onTopic[i]));
        }
        String[] offTopic = {
            "The stock market closed lower on Tuesday.",
            "Quarterly tax filings are due in April.",
            "The committee approved the new zoning ordinance.",
            "Copper wire conducts electricity well.",
            "The treaty was signed in 1648 in Westphalia.",
            "K2 is the second highest mountain.",
        };
        for (int i = 0; i < offTopic.length; i++) {
            rows.add(doc("docs", "other" + i, null, offTopic[i]));
        }
        return spark().createDataFrame(rows, CorpusTable.SCHEMA);
    }

    private static DenseParams plantedParams(int maxRange, int queryBlock, int corpusBlock) {
        return Settings.with(
                DenseParams.defaults(),
                DenseParams.RANGE_MAX,
                2,
                DenseParams.MAX_RANGE,
                maxRange,
                DenseParams.NEGATIVES,
                1,
                DenseParams.QUERY_BLOCK,
                queryBlock,
                DenseParams.CORPUS_BLOCK,
                corpusBlock);
    }

    /** (example id -> negative ids, ranks), the final window of each and the summary. */
    private record Mined(
            Map<String, List<String>> negatives,
            Map<String, List<Integer>> ranks,
            Map<String, Integer> windows,
            DenseSummary.SourceCounts summary) {}

    private static Mined mine(DenseParams p, int partitions) {
        DenseMiningJob.Result r =
                DenseMiningJob.apply(
                        plantedRetrieval().repartition(partitions),
                        plantedCorpus().repartition(partitions),
                        p,
                        null);
        Mined m = new Mined(new HashMap<>(), new HashMap<>(), new HashMap<>(), null);
        for (Row x : r.selected().collectAsList()) {
            String id = x.getAs("query_id");
            m.negatives().put(id, x.getList(x.fieldIndex(NegativesTable.NEGATIVE_IDS)));
            m.ranks().put(id, x.getList(x.fieldIndex(NegativesTable.NEGATIVE_RANKS)));
            m.windows().put(id, x.getInt(x.fieldIndex(DenseSelection.WINDOW)));
            double positive = x.getDouble(x.fieldIndex(NegativesTable.POSITIVE_SCORE));
            for (double s : x.<Double>getList(x.fieldIndex(NegativesTable.NEGATIVE_SCORES))) {
                assertTrue(s <= 0.95 * positive + 1e-6, "perc_pos holds after widening " + x);
            }
        }
        DenseSummary.SourceCounts counts = DenseSummary.of(r, p).sources().get("docs");
        r.unpersist();
        return new Mined(m.negatives(), m.ranks(), m.windows(), counts);
    }

    @Test
    void theWindowWidensForShortRowsOnlyUpToMaxRangeWhateverThePartitioning() {
        Mined fixed = mine(plantedParams(2, 8192, 4096), 1);
        assertTrue(
                fixed.negatives().get("bread").isEmpty(),
                "planted: the filter empties the first window " + fixed);
        assertEquals(0L, fixed.summary().widened());

        Mined wide = mine(plantedParams(16, 8192, 4096), 1);
        assertEquals(1, wide.negatives().get("bread").size(), wide.toString());
        assertTrue(wide.windows().get("bread") > 2 && wide.windows().get("bread") <= 16);
        assertEquals(2, wide.windows().get("everest"), "a row with enough is not widened");
        assertEquals(fixed.negatives().get("everest"), wide.negatives().get("everest"));
        assertEquals(1L, wide.summary().widened());
        assertEquals(0L, wide.summary().fewerThanRequested());
        assertEquals(
                Map.of("2", 1L, String.valueOf(wide.windows().get("bread")), 1L),
                wide.summary().finalWindows());
        // Another partitioning and other blocks: the same negatives and windows.
        Mined other = mine(plantedParams(16, 1, 3), 5);
        assertEquals(wide.negatives(), other.negatives());
        assertEquals(wide.windows(), other.windows());

        // The cap: max_range 4 never looks past rank 4.
        Mined capped = mine(plantedParams(4, 8192, 4096), 1);
        assertTrue(capped.windows().get("bread") <= 4);
        for (int rank : capped.ranks().get("bread")) {
            assertTrue(rank <= 4, capped.toString());
        }
    }
}
