package io.embedforge.pipeline.bm25;

import io.embedforge.pipeline.common.LuceneText;
import java.io.Serializable;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.FieldInvertState;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.search.CollectionStatistics;
import org.apache.lucene.search.TermStatistics;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.Version;
import org.apache.spark.sql.Row;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The BM25 score of an example's positive for its query, as the search scores a pool text: the
 * query's clauses (one per distinct term, boosted by its repeat count, as {@link ShardIndex} builds
 * them), Lucene's {@link BM25Similarity} scorer with the pool's global statistics, the positive's
 * term frequencies and its Lucene norm, the clause scores summed in double and rounded to float.
 * The report puts it beside the negatives' scores (positive score and margins per miner, issue 20);
 * computing it from the positive's own terms, not from the index, gives every positive its score
 * even when it is not among the query's top hits (it is excluded from its negatives) or not in the
 * pool ({@code pool_splits}), and costs no search.
 *
 * <p>A term of the query absent from the pool has no statistics and scores nothing, as in the
 * search. Runs on executors (a UDF); the similarity is built once per JVM copy.
 */
final class PositiveScorer implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String analyzer;
    private final float k1;
    private final float b;
    private final GlobalStats global;
    private transient BM25Similarity similarity;
    private transient CollectionStatistics collection;

    PositiveScorer(String analyzer, float k1, float b, GlobalStats global) {
        this.analyzer = analyzer;
        this.k1 = k1;
        this.b = b;
        this.global = global;
    }

    /**
     * The score of {@code positive} for {@code query}, given the query's term statistics as rows of
     * {@code (term, df, ttf)} (null or empty when none of its terms is in the pool: score 0).
     */
    double score(String query, String positive, Seq<Row> termStats) {
        Map<String, long[]> stats = new HashMap<>();
        if (termStats != null) {
            for (Row t : CollectionConverters.asJava(termStats)) {
                stats.put(t.getString(0), new long[] {t.getLong(1), t.getLong(2)});
            }
        }
        return score(
                LuceneText.terms(analyzer, query), LuceneText.terms(analyzer, positive), stats);
    }

    /** The same from analysed terms; {@code stats} maps a term to its (df, ttf) in the pool. */
    double score(List<String> queryTerms, List<String> docTerms, Map<String, long[]> stats) {
        if (global.isEmpty() || docTerms.isEmpty()) {
            return 0.0;
        }
        init();
        Map<String, Integer> repeats = new LinkedHashMap<>();
        queryTerms.forEach(t -> repeats.merge(t, 1, Integer::sum));
        Map<String, Integer> freqs = new HashMap<>();
        docTerms.forEach(t -> freqs.merge(t, 1, Integer::sum));
        long norm = similarity.computeNorm(invertState(docTerms.size(), freqs));
        double sum = 0;
        for (Map.Entry<String, Integer> e : repeats.entrySet()) {
            Integer tf = freqs.get(e.getKey());
            long[] s = stats.get(e.getKey());
            if (tf == null || s == null) {
                continue;
            }
            sum +=
                    similarity
                            .scorer(
                                    e.getValue().floatValue(),
                                    collection,
                                    new TermStatistics(new BytesRef(e.getKey()), s[0], s[1]))
                            .score(tf, norm);
        }
        return (float) sum;
    }

    /** What Lucene's indexing chain records of the positive's field: tokens, no overlaps. */
    private static FieldInvertState invertState(int tokens, Map<String, Integer> freqs) {
        int maxFreq = freqs.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return new FieldInvertState(
                Version.LATEST.major,
                LuceneText.FIELD,
                IndexOptions.DOCS_AND_FREQS,
                tokens,
                tokens,
                0,
                0,
                maxFreq,
                freqs.size());
    }

    private void init() {
        if (similarity == null) {
            similarity = new BM25Similarity(k1, b);
            collection = global.toLucene(LuceneText.FIELD);
        }
    }
}
