package io.embedforge.pipeline.bm25;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.CoGroupFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The per-shard step of BM25 mining: builds the shard's Lucene index from its pool texts, then
 * searches every query against it and emits each query's top-k hits of this shard.
 *
 * <p>Shipped to executors (serialisable: only the settings and the global statistics); one call per
 * shard. Pool rows are {@code (shard, text_id, text)}; query rows are {@code (shard, q_id, query,
 * k, term_stats)} with term_stats an array of {@code (term, df, ttf)}. Hits are emitted lazily,
 * query by query, and the index is closed after the last query.
 */
final class ShardSearch implements CoGroupFunction<Integer, Row, Row, Row> {
    static final String Q_ID = "q_id";
    static final String TEXT_ID = "text_id";
    static final String TEXT = "text";
    static final String SCORE = "score";
    static final String K = "k";
    static final String SHARD = "shard";
    static final String TERM_STATS = "term_stats";
    static final String TERMS = "terms";

    /** Schema of the hits. */
    static final StructType HIT_SCHEMA =
            new StructType()
                    .add(Q_ID, DataTypes.StringType, false)
                    .add(TEXT_ID, DataTypes.StringType, false)
                    .add(TEXT, DataTypes.StringType, false)
                    .add(SCORE, DataTypes.FloatType, false)
                    .add(K, DataTypes.IntegerType, false);

    private static final long serialVersionUID = 1L;

    private final String analyzer;
    private final float k1;
    private final float b;
    private final GlobalStats global;
    private final LongAccumulator searched;

    /**
     * @param searched counts the searches done (a query in one shard): the {@code search} step's
     *     progress
     */
    ShardSearch(String analyzer, float k1, float b, GlobalStats global, LongAccumulator searched) {
        this.analyzer = analyzer;
        this.k1 = k1;
        this.b = b;
        this.global = global;
        this.searched = searched;
    }

    @Override
    public Iterator<Row> call(Integer shard, Iterator<Row> pool, Iterator<Row> queries)
            throws Exception {
        if (!pool.hasNext() || !queries.hasNext()) {
            return java.util.Collections.emptyIterator();
        }
        Iterator<String[]> docs =
                new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return pool.hasNext();
                    }

                    @Override
                    public String[] next() {
                        Row r = pool.next();
                        return new String[] {
                            r.getString(r.fieldIndex(TEXT_ID)), r.getString(r.fieldIndex(TEXT))
                        };
                    }
                };
        ShardIndex index = ShardIndex.build(docs, analyzer, k1, b, global);
        return new HitIterator(index, queries, searched);
    }

    /** Flattens the hits of each query; closes the index when the queries are exhausted. */
    private static final class HitIterator implements Iterator<Row> {
        private final ShardIndex index;
        private final Iterator<Row> queries;
        private Iterator<Row> current = java.util.Collections.emptyIterator();
        private final LongAccumulator searched;
        private boolean closed;

        HitIterator(ShardIndex index, Iterator<Row> queries, LongAccumulator searched) {
            this.index = index;
            this.queries = queries;
            this.searched = searched;
        }

        @Override
        public boolean hasNext() {
            while (!current.hasNext()) {
                if (!queries.hasNext()) {
                    close();
                    return false;
                }
                current = search(queries.next());
                searched.add(1);
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }

        private Iterator<Row> search(Row q) {
            String qId = q.getString(q.fieldIndex(Q_ID));
            int k = q.getInt(q.fieldIndex(K));
            Map<String, long[]> stats = new HashMap<>();
            int statsIndex = q.fieldIndex(TERM_STATS);
            if (!q.isNullAt(statsIndex)) {
                for (Row t : q.<Row>getList(statsIndex)) {
                    stats.put(t.getString(0), new long[] {t.getLong(1), t.getLong(2)});
                }
            }
            try {
                List<Row> rows = new ArrayList<>();
                for (ShardIndex.Hit h :
                        index.search(q.<String>getList(q.fieldIndex(TERMS)), k, stats)) {
                    rows.add(RowFactory.create(qId, h.id(), h.text(), h.score(), k));
                }
                return rows.iterator();
            } catch (java.io.IOException e) {
                close();
                throw new java.io.UncheckedIOException("searching query " + qId, e);
            }
        }

        private void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                index.close();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("closing shard index", e);
            }
        }
    }
}
