package io.embedforge.pipeline.bm25;

import java.io.IOException;
import java.util.Map;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.CollectionStatistics;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermStatistics;

/**
 * An {@link IndexSearcher} over one shard that scores with the statistics of the whole pool.
 *
 * <p>BM25 (Robertson et al.; Lucene's {@code BM25Similarity}) scores a term as {@code idf * (k1 +
 * 1) * tf / (tf + k1 * (1 - b + b * dl / avgdl))} with {@code idf = ln(1 + (N - df + 0.5) / (df +
 * 0.5))}. Term frequency {@code tf} and the encoded length {@code dl} of a document do not depend
 * on which shard holds it; {@code N}, {@code avgdl} and {@code df} do. Lucene's term queries ask
 * the searcher for them through {@link #collectionStatistics} and {@link #termStatistics}, so this
 * class answers with the global values: the collection statistics given at construction and, for
 * each query, the global document frequency of each of its terms. A term the shard does not hold
 * matches nothing there and is never asked for.
 *
 * <p>Runs on executors, one per shard task; not thread-safe (the term statistics are those of the
 * query being searched, set with {@link #setTermStatistics}).
 */
final class GlobalStatsSearcher extends IndexSearcher {
    private final String field;
    private final CollectionStatistics collection;
    private Map<String, long[]> termStats = Map.of();

    GlobalStatsSearcher(IndexReader reader, String field, GlobalStats global) {
        super(reader);
        this.field = field;
        this.collection = global.toLucene(field);
        setQueryCache(null);
    }

    /** Global {@code (docFreq, totalTermFreq)} of each term of the next query, keyed by term. */
    void setTermStatistics(Map<String, long[]> stats) {
        this.termStats = stats;
    }

    @Override
    public CollectionStatistics collectionStatistics(String f) throws IOException {
        if (!field.equals(f)) {
            return super.collectionStatistics(f);
        }
        return collection;
    }

    @Override
    public TermStatistics termStatistics(Term term, int docFreq, long totalTermFreq)
            throws IOException {
        if (!field.equals(term.field())) {
            return super.termStatistics(term, docFreq, totalTermFreq);
        }
        long[] global = termStats.get(term.text());
        if (global == null) {
            throw new IllegalStateException(
                    "no global statistics for term '"
                            + term.text()
                            + "' held by this shard (docFreq="
                            + docFreq
                            + "): the statistics were computed with another analyzer");
        }
        return new TermStatistics(term.bytes(), global[0], global[1]);
    }
}
