package io.embedforge.pipeline.bm25;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.LuceneText;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.schema.StsTable;
import io.embedforge.pipeline.stage.StageOutput;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * loop, on the STS Benchmark and STS12 train texts, in one JVM and one thread ({@link
 * #shardedVersusPlain}); then the wall time of the whole mine-bm25 stage on the same records
 * ({@link #wholeStage}). Rounds of the searchers are interleaved and both wall-clock and thread-CPU
 * rates are reported, because the machines it runs on are shared. Each round of a sharded searcher
 * starts from freshly built shards (built untimed), since a shard keeps the scored postings of the
 * terms it has searched: a round measures what one shard task does, cache fill included. Run
 * explicitly: {@code mvn -o -pl pipeline-jobs -am test -Dgroups=benchmark -DexcludedGroups=none
 * -Dtest=Bm25Benchmark -Dsurefire.failIfNoSpecifiedTests=false} (or {@code
 * -Dtest='Bm25Benchmark#shardedVersusPlain'} for the searchers only).
 */
@Tag("benchmark")
class Bm25Benchmark extends SparkTestBase {
    private static final int K = 10;
    private static final int ROUNDS = 5;
    private static final int[] SHARDS = {1, 4, 16};

    /** One hit of a searcher under test. */
    private record Scored(String id, float score) {}

    /** One searcher under test: the top-k hits of query {@code qi}. */
    private interface QueryLoop {
        /** Untimed set-up before each round. */
        default void startRound() throws Exception {}

        List<Scored> top(int qi) throws Exception;
    }

    @Test
    void shardedVersusPlain() throws Exception {
        List<Row> records = records();
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

        // Plain: one index, pool inserted in id order (so its ties break like the shards'), in
        // the same kind of in-memory directory as the shards.
        BM25Similarity similarity = new BM25Similarity(p.k1().floatValue(), p.b().floatValue());
        ByteBuffersDirectory dir = ShardIndex.directory();
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
        // Hits resolved from an array, as the shards do (no per-hit stored-field reads).
        String[] idOf = new String[reader.maxDoc()];
        for (int doc = 0; doc < idOf.length; doc++) {
            idOf[doc] = plain.storedFields().document(doc).get("id");
        }

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

        // Plain loop, then the sharded searcher at each shard count. Rounds are interleaved
        // (plain, 1, 4, 16 shards, again) so that load from other tenants hits every searcher
        // alike; the wall and the thread-CPU rate of the best round are reported.
        List<String> names = new ArrayList<>(List.of("plain single index"));
        List<QueryLoop> loops = new ArrayList<>();
        loops.add(
                qi -> {
                    Query query = builder.createBooleanQuery(LuceneText.FIELD, queries.get(qi));
                    List<Scored> top = new ArrayList<>();
                    if (query != null) {
                        for (ScoreDoc sd : plain.search(query, K).scoreDocs) {
                            top.add(new Scored(idOf[sd.doc], sd.score));
                        }
                    }
                    return top;
                });
        // A shard keeps the scored postings of each term it has searched, so each round of a
        // sharded searcher starts from freshly built shards (untimed), as a shard task does.
        List<List<ShardIndex>> allShardIndexes = new ArrayList<>();
        for (int shards : SHARDS) {
            List<List<String[]>> parts = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                parts.add(new ArrayList<>());
            }
            for (String t : pool) {
                String id = StableIds.of(t);
                parts.get(Math.floorMod(id.hashCode(), shards)).add(new String[] {id, t});
            }
            List<ShardIndex> shardIndexes = new ArrayList<>();
            names.add("sharded, global stats, " + shards + " shard(s)");
            loops.add(
                    new QueryLoop() {
                        @Override
                        public void startRound() throws Exception {
                            for (ShardIndex index : shardIndexes) {
                                index.close();
                            }
                            shardIndexes.clear();
                            for (List<String[]> part : parts) {
                                shardIndexes.add(
                                        ShardIndex.build(
                                                part.iterator(),
                                                p.analyzer(),
                                                p.k1().floatValue(),
                                                p.b().floatValue(),
                                                global));
                            }
                        }

                        @Override
                        public List<Scored> top(int qi) throws Exception {
                            String q = queries.get(qi);
                            List<String> terms = LuceneText.terms(p.analyzer(), q);
                            Map<String, long[]> stats = new HashMap<>();
                            for (String term : queryTerms.get(q)) {
                                long[] st = termStats.get(term);
                                if (st != null) {
                                    stats.put(term, st);
                                }
                            }
                            List<ShardIndex.Hit> hits = new ArrayList<>();
                            for (ShardIndex index : shardIndexes) {
                                hits.addAll(index.search(terms, K, stats));
                            }
                            hits.sort(
                                    (x, y) ->
                                            x.score() != y.score()
                                                    ? Float.compare(y.score(), x.score())
                                                    : x.id().compareTo(y.id()));
                            List<Scored> top = new ArrayList<>();
                            for (int i = 0; i < Math.min(K, hits.size()); i++) {
                                top.add(new Scored(hits.get(i).id(), hits.get(i).score()));
                            }
                            return top;
                        }
                    });
            allShardIndexes.add(shardIndexes);
        }

        // Each searcher's results are checked against the plain loop's in every round: the
        // top-k ids, and the scores bit for bit.
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] bestWall = new double[loops.size()];
        double[] bestCpu = new double[loops.size()];
        int[] differing = new int[loops.size()];
        int[] scoresDiffering = new int[loops.size()];
        double[] maxScoreDiff = new double[loops.size()];
        List<List<Scored>> plainTop = new ArrayList<>();
        for (int round = 0; round <= ROUNDS; round++) {
            for (int l = 0; l < loops.size(); l++) {
                loops.get(l).startRound();
                List<List<Scored>> tops = new ArrayList<>();
                long cpu = threads.getCurrentThreadCpuTime();
                long start = System.nanoTime();
                for (int qi = 0; qi < queries.size(); qi++) {
                    tops.add(loops.get(l).top(qi));
                }
                double wall = (System.nanoTime() - start) / 1e9;
                double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpu) / 1e9;
                if (l == 0) {
                    plainTop = tops;
                }
                for (int qi = 0; qi < queries.size(); qi++) {
                    List<Scored> top = tops.get(qi);
                    List<Scored> expected = plainTop.get(qi);
                    if (!top.stream()
                            .map(Scored::id)
                            .toList()
                            .equals(expected.stream().map(Scored::id).toList())) {
                        differing[l]++;
                    } else if (!top.equals(expected)) {
                        scoresDiffering[l]++;
                    }
                    for (int i = 0; i < Math.min(top.size(), expected.size()); i++) {
                        maxScoreDiff[l] =
                                Math.max(
                                        maxScoreDiff[l],
                                        Math.abs(top.get(i).score() - expected.get(i).score()));
                    }
                }
                if (round > 0) {
                    bestWall[l] = Math.max(bestWall[l], queries.size() / wall);
                    bestCpu[l] = Math.max(bestCpu[l], queries.size() / cpuSeconds);
                }
            }
        }
        int checked = (ROUNDS + 1) * queries.size();
        for (int l = 0; l < loops.size(); l++) {
            System.out.printf(
                    Locale.ROOT,
                    "%s: %.0f queries/s wall (%.2fx plain), %.0f queries/CPU-s (%.2fx plain);"
                            + " top-%d lists differing from plain: %d of %d, same ids but scores"
                            + " not bit-identical: %d, max |score difference| at a rank: %.3g%n",
                    names.get(l),
                    bestWall[l],
                    bestWall[l] / bestWall[0],
                    bestCpu[l],
                    bestCpu[l] / bestCpu[0],
                    K,
                    differing[l],
                    checked,
                    scoresDiffering[l],
                    maxScoreDiff[l]);
        }
        for (List<ShardIndex> shardIndexes : allShardIndexes) {
            for (ShardIndex index : shardIndexes) {
                index.close();
            }
        }
        reader.close();
        dir.close();
    }

    @Test
    void wholeStage() throws Exception {
        List<Row> records = records();
        Bm25Params p = Bm25Params.defaults();
        // local[2] shared test session, started before timing; the first run also warms up the
        // JIT and code generation.
        spark();
        for (int shards : new int[] {1, 4}) {
            long start = System.nanoTime();
            StageOutput<Bm25Summary> out =
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

    private static List<Row> records() throws Exception {
        Path data = sharedData();
        assumeTrue(data != null && Files.exists(data.resolve("stsbenchmark/sts-train.csv")));
        return load(data);
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
