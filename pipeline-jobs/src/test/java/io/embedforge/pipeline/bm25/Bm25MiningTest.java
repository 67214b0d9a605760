package io.embedforge.pipeline.bm25;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.LuceneText;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.StsTable;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StageOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.QueryBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Bm25MiningTest extends SparkTestBase {
    private static final String[] WORDS = {
        "man", "woman", "dog", "cat", "plays", "guitar", "piano", "runs", "park", "street",
        "eats", "apple", "bread", "the", "a", "is", "on", "in", "red", "small",
        "horse", "rides", "beach", "sings", "song"
    };

    static Row sts(String split, String id, String a, String b, Double score) {
        return RowFactory.create("stsb", split, id, a, b, score);
    }

    static Dataset<Row> frame(List<Row> rows) {
        return spark().createDataFrame(rows, nullable(StsTable.SCHEMA));
    }

    /** The schema as Spark reads it from Parquet: every column nullable. */
    static StructType nullable(StructType schema) {
        StructType out = new StructType();
        for (StructField f : schema.fields()) {
            out = out.add(f.name(), f.dataType(), true);
        }
        return out;
    }

    /** Random sentences over a tiny vocabulary: many shared terms, many exact score ties. */
    static List<Row> synthetic(int records, long seed) {
        Random random = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            rows.add(
                    sts(
                            i % 5 == 4 ? "test" : "train",
                            "r" + i,
                            sentence(random),
                            sentence(random),
                            random.nextInt(11) / 2.0));
        }
        return rows;
    }

    private static String sentence(Random random) {
        int n = 3 + random.nextInt(7);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.toString();
    }

    @Test
    void shardedSearchMatchesOneShardAndAPlainLuceneIndex() throws Exception {
        List<Row> rows = synthetic(80, 11);
        Bm25Params one = Bm25Params.defaults().withNumShards(1);
        Map<String, Row> single = byId(MineBm25.apply(frame(rows), one).examples());
        Map<String, Row> sharded =
                byId(MineBm25.apply(frame(rows).repartition(3), one.withNumShards(4)).examples());
        assertEquals(single.keySet(), sharded.keySet());
        assertFalse(single.isEmpty());
        int negatives = 0;
        for (String id : single.keySet()) {
            Row s = single.get(id);
            Row m = sharded.get(id);
            assertEquals(s.getList(6), m.getList(6), "negatives of " + id);
            assertEquals(s.getList(8), m.getList(8), "ranks of " + id);
            List<Double> ss = s.getList(7);
            List<Double> ms = m.getList(7);
            for (int i = 0; i < ss.size(); i++) {
                assertEquals(ss.get(i), ms.get(i), 1e-5);
            }
            negatives += ss.size();
        }
        assertTrue(
                negatives > single.size() * 5, "the fixture should give most examples 7 negatives");

        // The same ranks and scores as one plain Lucene index over the same pool.
        Set<String> pool = new LinkedHashSet<>();
        Map<String, Set<String>> excluded = new HashMap<>();
        for (Row r : rows) {
            String a = r.getString(3);
            String b = r.getString(4);
            double score = r.getDouble(5);
            if (r.getString(1).equals("train")) {
                pool.add(a);
                pool.add(b);
            }
            if (score > 2.5) {
                excluded.computeIfAbsent(a, k -> new HashSet<>()).add(b);
                excluded.computeIfAbsent(b, k -> new HashSet<>()).add(a);
            }
        }
        Map<String, List<Hit>> plain = plainRanking(new ArrayList<>(pool), one);
        int scoredPositives = 0;
        for (Row m : sharded.values()) {
            String q = m.getString(4);
            List<Hit> ranking = plain.get(q);
            List<String> expected = new ArrayList<>();
            for (int i = 1; i < ranking.size() && expected.size() < 7; i++) {
                String t = ranking.get(i).text;
                if (!t.equals(q)
                        && !t.equals(m.getString(5))
                        && !excluded.getOrDefault(q, Set.of()).contains(t)) {
                    expected.add(t);
                }
            }
            assertEquals(expected, m.getList(6), "negatives of query '" + q + "'");
            // The positive's score is the plain index's score of it for the query (0 unmatched).
            float positive = 0f;
            for (Hit h : ranking) {
                positive = h.text.equals(m.getString(5)) ? h.score : positive;
            }
            assertEquals(
                    positive,
                    (double) m.<Double>getAs(NegativesTable.POSITIVE_SCORE),
                    0.0,
                    "positive score of query '" + q + "'");
            scoredPositives += positive > 0 ? 1 : 0;
            List<Integer> ranks = m.getList(8);
            List<Double> scores = m.getList(7);
            for (int i = 0; i < ranks.size(); i++) {
                Hit h = ranking.get(ranks.get(i) - 1);
                assertEquals(h.text, m.getList(6).get(i));
                assertEquals(h.score, scores.get(i), 1e-5);
                assertTrue(ranks.get(i) >= 2);
                assertTrue(i == 0 || ranks.get(i) > ranks.get(i - 1), "ranks increase");
            }
        }
        assertTrue(
                scoredPositives >= sharded.size() / 4,
                "the fixture should give many positives a term of their query");
    }

    @Test
    void excludesQueryPositiveAndGoldRelatedTextsAnywhereInTheData() {
        List<Row> rows =
                List.of(
                        sts("train", "1", "the cat sat on the mat", "a cat sat upon a mat", 4.6),
                        // Related to the query with a gold score > 2.5, in another split.
                        sts(
                                "test",
                                "2",
                                "the cat sat on the mat",
                                "the cat sat on the red mat",
                                3.0),
                        sts("train", "3", "the cat sat on the red mat", "a dog sat on a log", 1.0),
                        sts("train", "4", "a cat on a mat", "the cat and the mat", 2.0),
                        sts("train", "5", "cat cat cat", "mat mat mat", 1.0),
                        sts("train", "6", "a cat sat on the mat", "dogs bark", 0.5));
        StageOutput<Bm25Summary> out = MineBm25.apply(frame(rows), Bm25Params.defaults());
        Map<String, Row> examples = byQuery(out.examples());
        assertEquals(2, examples.size());
        Row q = examples.get("the cat sat on the mat");
        List<String> negs = q.getList(6);
        assertFalse(negs.contains("the cat sat on the mat"));
        assertFalse(negs.contains("a cat sat upon a mat"));
        assertFalse(negs.contains("the cat sat on the red mat"));
        assertTrue(negs.contains("a cat on a mat"));
        assertTrue(negs.contains("a cat sat on the mat"));
        assertFalse(negs.contains("dogs bark"), "texts without a shared term never match");
        assertEquals("sts", q.getString(3));
        assertEquals("bm25", q.getString(9));
        assertEquals(
                StableIds.of("stsb", "sts", "the cat sat on the mat", "a cat sat upon a mat"),
                q.getString(2));
        assertEquals(0, out.rejects().count());
    }

    @Test
    void badScoresAndTextsBecomeRejectRows() {
        List<Row> rows =
                List.of(
                        sts("train", "ok", "a man plays a guitar", "a man is playing guitar", 4.2),
                        sts("train", "nan", "x y", "y z", Double.NaN),
                        sts("train", "neg", "x y", "y z", -1.0),
                        sts("train", "big", "x y", "y z", 5.5),
                        sts("train", "inf", "x y", "y z", Double.POSITIVE_INFINITY),
                        sts("train", "null", "x y", "y z", null),
                        sts("train", "blank", "  ", "y z", 4.0),
                        sts("train", "same", "x  y", "x y", 5.0));
        StageOutput<Bm25Summary> out = MineBm25.apply(frame(rows), Bm25Params.defaults());
        Map<String, String> reasons = new TreeMap<>();
        for (Row r : out.rejects().collectAsList()) {
            reasons.put(r.getString(5), r.getString(4));
            assertEquals("mine-bm25", r.getString(2));
        }
        assertEquals(
                Map.of(
                        "sts/nan", MineBm25.NAN_SCORE,
                        "sts/neg", MineBm25.SCORE_OUT_OF_RANGE,
                        "sts/big", MineBm25.SCORE_OUT_OF_RANGE,
                        "sts/inf", MineBm25.SCORE_OUT_OF_RANGE,
                        "sts/null", MineBm25.MISSING_SCORE,
                        "sts/blank", MineBm25.MISSING_TEXT,
                        "sts/same", MineBm25.IDENTICAL_TEXTS),
                reasons);
        assertEquals(RejectsTable.SCHEMA.fieldNames().length, out.rejects().columns().length);
        Bm25Summary summary = out.summary().get();
        assertEquals(8L, summary.recordsIn());
        assertEquals(2L, summary.examples().examplesOut());
        assertEquals(
                Map.of(
                        MineBm25.NAN_SCORE, 1L,
                        MineBm25.SCORE_OUT_OF_RANGE, 3L,
                        MineBm25.MISSING_SCORE, 1L,
                        MineBm25.MISSING_TEXT, 1L,
                        MineBm25.IDENTICAL_TEXTS, 1L),
                summary.rejectsByReason());
    }

    @Test
    void emptyPoolAndQueriesWithoutAdmissibleNegativesAreCountedNotDropped() {
        List<Row> rows =
                List.of(
                        sts("train", "1", "a man plays a guitar", "a man is playing guitar", 4.2),
                        sts("train", "2", "the sun is hot", "stars are far away", 0.0));
        // Pool from a split with no rows: every example is kept, with no negatives.
        Bm25Params devPool =
                Settings.with(Bm25Params.defaults(), Bm25Params.POOL_SPLITS, List.of("dev"));
        StageOutput<Bm25Summary> empty = MineBm25.apply(frame(rows), devPool);
        Bm25Summary summary = empty.summary().get();
        assertEquals(2L, summary.examples().examplesOut());
        assertEquals(0L, summary.poolTexts());
        assertEquals(2L, summary.examples().examplesWithoutNegatives());

        // A pool where nothing but the pair itself shares a term with the queries.
        StageOutput<Bm25Summary> thin = MineBm25.apply(frame(rows), Bm25Params.defaults());
        for (Row r : thin.examples().collectAsList()) {
            assertEquals(List.of(), r.getList(6));
            assertEquals(List.of(), r.getList(7));
        }
        Bm25Summary s = thin.summary().get();
        assertEquals(2L, s.examples().examplesWithFewerNegatives());
        assertEquals(4L, s.poolTexts());
        Map<String, Long> histogram = s.examples().negativesHistogram();
        assertEquals(2L, histogram.get("0"));
        assertEquals(0L, histogram.get("7"));
    }

    @Test
    void runWritesExamplesRejectsAndASummary(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        frame(synthetic(20, 3))
                .write()
                .parquet(
                        out.resolve(StageId.DECONTAMINATE.folder())
                                .resolve(StsTable.NAME)
                                .toString());
        Bm25Summary summary =
                new MineBm25()
                        .run(
                                StageContext.direct(
                                        spark(), null, StageId.MINE_BM25, out.toString()),
                                Bm25Params.defaults());
        Path stage = out.resolve(StageId.MINE_BM25.folder());
        assertTrue(Files.isDirectory(stage.resolve(NegativesTable.EXAMPLES_DIR)));
        assertTrue(Files.isDirectory(stage.resolve(RejectsTable.NAME)));
        Dataset<Row> written =
                spark().read().parquet(stage.resolve(NegativesTable.EXAMPLES_DIR).toString());
        List<String> columns = new ArrayList<>(List.of(NegativesTable.SCHEMA.fieldNames()));
        columns.add(NegativesTable.POSITIVE_SCORE);
        assertEquals(columns, List.of(written.columns()));
        assertEquals(summary.examples().examplesOut(), written.count());
        assertEquals(20L, summary.recordsIn());
    }

    record Hit(String text, float score) {}

    /** Rankings of every pool text as a query against one ordinary Lucene index. */
    static Map<String, List<Hit>> plainRanking(List<String> pool, Bm25Params p) throws Exception {
        Map<String, List<Hit>> rankings = new HashMap<>();
        BM25Similarity similarity = new BM25Similarity(p.k1().floatValue(), p.b().floatValue());
        try (ByteBuffersDirectory dir = new ByteBuffersDirectory()) {
            IndexWriterConfig config = new IndexWriterConfig(LuceneText.analyzer(p.analyzer()));
            config.setSimilarity(similarity);
            try (IndexWriter writer = new IndexWriter(dir, config)) {
                for (String text : pool) {
                    Document d = new Document();
                    d.add(new TextField("text", text, Field.Store.YES));
                    d.add(new StoredField("id", StableIds.of(text)));
                    writer.addDocument(d);
                }
            }
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                searcher.setSimilarity(similarity);
                QueryBuilder builder = new QueryBuilder(LuceneText.analyzer(p.analyzer()));
                for (String q : pool) {
                    Query query = builder.createBooleanQuery("text", q);
                    List<Hit> ranking = new ArrayList<>();
                    rankings.put(q, ranking);
                    if (query == null) {
                        continue;
                    }
                    List<Object[]> sorted = new ArrayList<>();
                    for (ScoreDoc sd : searcher.search(query, pool.size()).scoreDocs) {
                        Document d = searcher.storedFields().document(sd.doc);
                        sorted.add(new Object[] {d.get("id"), d.get("text"), sd.score});
                    }
                    sorted.sort(
                            Comparator.comparing((Object[] h) -> -(Float) h[2])
                                    .thenComparing(h -> (String) h[0]));
                    for (Object[] h : sorted) {
                        ranking.add(new Hit((String) h[1], (Float) h[2]));
                    }
                }
            }
        }
        return rankings;
    }

    private static Map<String, Row> byId(Dataset<Row> examples) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : examples.collectAsList()) {
            m.put(r.getString(2), r);
        }
        return m;
    }

    private static Map<String, Row> byQuery(Dataset<Row> examples) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : examples.collectAsList()) {
            m.put(r.getString(4), r);
        }
        return m;
    }
}
