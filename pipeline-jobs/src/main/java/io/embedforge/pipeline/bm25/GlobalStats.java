package io.embedforge.pipeline.bm25;

import java.io.Serializable;
import org.apache.lucene.search.CollectionStatistics;

/**
 * Collection statistics of the whole BM25 pool, computed once with Spark and shipped to every
 * shard, so that each shard scores as if it were the one index of the whole pool.
 *
 * @param maxDoc texts in the pool
 * @param docCount texts with at least one indexed term (Lucene's docCount; BM25's N)
 * @param sumTotalTermFreq tokens over all texts (average length = this / docCount)
 * @param sumDocFreq distinct terms summed over texts
 */
public record GlobalStats(long maxDoc, long docCount, long sumTotalTermFreq, long sumDocFreq)
        implements Serializable {

    /** True when no text of the pool has a term: nothing can match, so nothing is searched. */
    public boolean isEmpty() {
        return docCount == 0;
    }

    /** Lucene's view of these statistics for {@code field}. */
    public CollectionStatistics toLucene(String field) {
        return new CollectionStatistics(field, maxDoc, docCount, sumTotalTermFreq, sumDocFreq);
    }
}
