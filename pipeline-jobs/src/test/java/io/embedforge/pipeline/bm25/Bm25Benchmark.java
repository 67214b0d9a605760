package io.embedforge.pipeline.bm25;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.schema.StsTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput of the sharded searcher with global statistics against a plain single-index Lucene
 * loop, on the STS Benchmark and STS12 train texts, in one JVM and one thread; then the wall time
 * of the whole mine-bm25 stage on the same records. Run explicitly: {@code mvn -o -pl pipeline-jobs
 * -am test -Dtest=Bm25Benchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class Bm25Benchmark extends SparkTestBase {
    private static final int K = 10;
    private static final int ROUNDS = 3;

    @Test
    void shardedVersusPlain() throws Exception {
        Path data = sharedData();
        assumeTrue(data != null && Files.exists(data.resolve("stsbenchmark/sts-train.csv")));
        List<Row> records = load(data);
        Set<String> pool = new TreeSet<>(Comparator.comparing(StableIds::of));
        List<String> queries = new ArrayList<>();
        for (Row r : records) {
            if (r.getString(1).equals("train")) {
                pool.add(r.getString(3));
                pool.add(r.getString(4));
                if (r.getDouble(5) >= 4) {
                    queries.add(r.getString(3));
                    queries.add(r.getString(4));
                }
            }
        }
        Bm25Params p = Bm25Params.defaults();
        System.out.printf(
                Locale.ROOT,
                "records=%d pool=%d queries=%d k=%d%n",
                records.size(),
                pool.size(),
                queries.size(),
                K);

        // Plain: one index, pool inserted in id order (so its ties break like the shards').
        BM25Similarity similarity = new BM25Similarity((float) p.k1(), (float) p.b());
        ByteBuffersDirectory dir = new ByteBuffersDirectory();
        IndexWriterConfig config = new IndexWriterConfig(LuceneText.analyzer(p.analyzer()));
        config.setSimilarity(similarity);
        try (IndexWriter w = new IndexWriter(dir, config)) {
            for (String t : pool) {
                Document d = new Document();
                d.add(new TextField(LuceneText.FIELD, t, Field.Store.YES));
                d.add(new StoredField("id", StableIds.of(t)));
                w.addDocument(d);
            }
            w.forceMerge(1);
        }
        DirectoryReader reader = DirectoryReader.open(dir);
        IndexSearcher plain = new IndexSearcher(reader);
        plain.setSimilarity(similarity);
        plain.setQueryCache(null);
        QueryBuilder builder = new QueryBuilder(LuceneText.analyzer(p.analyzer()));

        // Global statistics as the Spark job computes them, then shard indexes.
        long docCount = 0;
        long sumTtf = 0;
        long sumDf = 0;
        Map<String, long[]> termStats = new HashMap<>();
        for (String t : pool) {
            List<String> terms = LuceneText.terms(p.analyzer(), t);
            docCount += terms.isEmpty() ? 0 : 1;
            sumTtf += terms.size();
            Set<String> distinct = new HashSet<>(terms);
            sumDf += distinct.size();
            for (String term : distinct) {
                termStats.computeIfAbsent(term, x -> new long[2])[0]++;
            }
            for (String term : terms) {
                termStats.get(term)[1]++;
            }
        }
        GlobalStats global = new GlobalStats(pool.size(), docCount, sumTtf, sumDf);
        Map<String, List<String>> queryTerms = new HashMap<>();
        for (String q : queries) {
            queryTerms.put(
                    q, new ArrayList<>(new LinkedHashSet<>(LuceneText.terms(p.analyzer(), q))));
        }

        double plainQps = 0;
        List<List<String>> plainTop = null;
        for (int round = 0; round <= ROUNDS; round++) {
            List<List<String>> tops = new ArrayList<>();
            long start = System.nanoTime();
            for (String q : queries) {
                Query query = builder.createBooleanQuery(LuceneText.FIELD, q);
                List<String> top = new ArrayList<>();
                if (query != null) {
                    for (ScoreDoc sd : plain.search(query, K).scoreDocs) {
                        top.add(plain.storedFields().document(sd.doc).get("id"));
                    }
                }
                tops.add(top);
            }
            double qps = queries.size() / ((System.nanoTime() - start) / 1e9);
            if (round > 0) {
                plainQps = Math.max(plainQps, qps);
            }
            plainTop = tops;
        }
        System.out.printf(Locale.ROOT, "plain single index: %.0f queries/s%n", plainQps);

        for (int shards : new int[] {1, 4, 16}) {
            List<ShardIndex> indexes = new ArrayList<>();
            List<List<String[]>> parts = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                parts.add(new ArrayList<>());
            }
            for (String t : pool) {
                String id = StableIds.of(t);
                parts.get(Math.floorMod(id.hashCode(), shards)).add(new String[] {id, t});
            }
            for (List<String[]> part : parts) {
                indexes.add(
                        ShardIndex.build(
                                part.iterator(),
                                p.analyzer(),
                                (float) p.k1(),
                                (float) p.b(),
                                global));
            }
            double best = 0;
            int differing = 0;
            for (int round = 0; round <= ROUNDS; round++) {
                differing = 0;
                long start = System.nanoTime();
                for (int qi = 0; qi < queries.size(); qi++) {
                    String q = queries.get(qi);
                    Map<String, long[]> stats = new HashMap<>();
                    for (String term : queryTerms.get(q)) {
                        long[] st = termStats.get(term);
                        if (st != null) {
                            stats.put(term, st);
                        }
                    }
                    List<ShardIndex.Hit> hits = new ArrayList<>();
                    for (ShardIndex index : indexes) {
                        hits.addAll(index.search(q, K, stats));
                    }
                    hits.sort(
                            Comparator.comparing((ShardIndex.Hit h) -> -h.score())
                                    .thenComparing(ShardIndex.Hit::id));
                    List<String> top = new ArrayList<>();
                    for (int i = 0; i < Math.min(K, hits.size()); i++) {
                        top.add(hits.get(i).id());
                    }
                    if (!top.equals(plainTop.get(qi))) {
                        differing++;
                    }
                }
                double qps = queries.size() / ((System.nanoTime() - start) / 1e9);
                if (round > 0) {
                    best = Math.max(best, qps);
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "sharded, global stats, %d shard(s): %.0f queries/s (%.2fx plain); top-%d lists differing from plain: %d of %d%n",
                    shards,
                    best,
                    best / plainQps,
                    K,
                    differing,
                    queries.size());
            for (ShardIndex index : indexes) {
                index.close();
            }
        }
        reader.close();
        dir.close();

        // Whole stage on Spark (local[2] shared test session).
        for (int shards : new int[] {4, 1}) {
            long start = System.nanoTime();
            StageOutput out =
                    MineBm25.apply(
                            spark().createDataFrame(
                                            records, Bm25MiningTest.nullable(StsTable.SCHEMA)),
                            p.withNumShards(shards));
            long examples = out.examples().count();
            System.out.printf(
                    Locale.ROOT,
                    "mine-bm25 stage, %d shard(s), local[2]: %d examples in %.1f s%n",
                    shards,
                    examples,
                    (System.nanoTime() - start) / 1e9);
        }
    }

    /** STS Benchmark (all splits) and STS12 train records, rescaled to 0..5 (both already are). */
    static List<Row> load(Path data) throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String split : List.of("train", "dev", "test")) {
            Path f = data.resolve("stsbenchmark/sts-" + split + ".csv");
            int line = 0;
            for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                line++;
                String[] c = l.split("\t");
                if (c.length >= 7) {
                    rows.add(record("stsbenchmark", split, f + ":" + line, c[5], c[6], c[4]));
                }
            }
        }
        try (var files = Files.list(data.resolve("sts12"))) {
            for (Path f :
                    files.filter(x -> x.toString().endsWith(".train.tsv")).sorted().toList()) {
                int line = 0;
                for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    line++;
                    String[] c = l.split("\t");
                    if (c.length >= 3) {
                        rows.add(record("sts12", "train", f + ":" + line, c[1], c[2], c[0]));
                    }
                }
            }
        }
        return rows;
    }

    private static Row record(
            String source, String split, String where, String a, String b, String score) {
        double s;
        try {
            s = Double.parseDouble(score);
        } catch (NumberFormatException e) {
            s = Double.NaN;
        }
        return RowFactory.create(
                source,
                split,
                StableIds.of(source, where),
                TextNormalizer.normalize(a),
                TextNormalizer.normalize(b),
                s);
    }
}
