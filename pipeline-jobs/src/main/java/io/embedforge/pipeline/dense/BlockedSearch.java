package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.ceil;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.shiftleft;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.embedforge.pipeline.stage.StepCounter;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Exact inner-product top-k of every query against the candidates of its source, on Spark, without
 * collecting embeddings anywhere.
 *
 * <p>Queries and candidates of a source are hashed into blocks of about {@code query_block} and
 * {@code corpus_block} rows ({@code ceil(n / block)} blocks, by the xxhash64 of the id). One
 * shuffle sends each query to the partition of its query block and each candidate to every query
 * block of its source, sorted so that a task reads a query block, then the candidate blocks one
 * after the other. It scores each candidate block with matrix products ({@link BlockScorer}) and
 * folds the block's exact top-k into a running top-k per query by (score desc, id asc); a query's
 * hits are final after the last candidate block, so partial lists are never shuffled. A task holds
 * one query block, one candidate block, k hits per query and one score matrix of at most {@link
 * BlockScorer#SCORE_TILE} floats (the query block is scored in tiles of rows): memory is bounded by
 * the block sizes, not the corpus. The shuffle carries the corpus once per query block of its
 * source, so large query blocks keep it small.
 *
 * <p>Planned on the driver; the scoring runs on executors. Because ties are broken by id and every
 * block keeps its exact top-k, the result does not depend on block sizes or partitions.
 */
public final class BlockedSearch {
    /** Column: source of the query/candidate. */
    public static final String SOURCE = "source";

    /** The progress step of the search (its counter counts queries). */
    public static final String SEARCH = "search";

    /** Column: id of the query/candidate. */
    public static final String ID = "id";

    /** Column: embedding, array&lt;float&gt;. */
    public static final String VEC = "vec";

    /** Column of the output: array&lt;struct&lt;id: string, score: float&gt;&gt;, best first. */
    public static final String HITS = "hits";

    /** Schema of one hit. */
    public static final StructType HIT =
            new StructType()
                    .add(ID, DataTypes.StringType, false)
                    .add("score", DataTypes.FloatType, false);

    /** Output schema: one row per query. */
    public static final StructType SCHEMA =
            new StructType()
                    .add(SOURCE, DataTypes.StringType, false)
                    .add(ID, DataTypes.StringType, false)
                    .add(HITS, DataTypes.createArrayType(HIT, false), false);

    private static final String GROUP = "group";
    private static final String CORPUS_BLOCK = "cb";
    private static final String KEY = "key";

    private BlockedSearch() {}

    /**
     * Top-k candidates of every query, per source.
     *
     * @param queries rows (source, id, vec); ids unique per source
     * @param candidates rows (source, id, vec); ids unique per source
     * @param k hits kept per query (fewer when the source has fewer candidates)
     * @param queryBlock about how many queries one block holds
     * @param corpusBlock about how many candidates one block holds
     * @param threads libtorch threads per matrix product (0 = all cores)
     * @return rows (source, id, hits) for every query whose source has candidates
     */
    public static Dataset<Row> search(
            Dataset<Row> queries,
            Dataset<Row> candidates,
            int k,
            int queryBlock,
            int corpusBlock,
            int threads) {
        return search(
                queries, candidates, k, queryBlock, corpusBlock, threads, BlockScorer.SCORE_TILE);
    }

    /** {@link #search} with a given bound on the floats of one score matrix. */
    static Dataset<Row> search(
            Dataset<Row> queries,
            Dataset<Row> candidates,
            int k,
            int queryBlock,
            int corpusBlock,
            int threads,
            int scoreTile) {
        // Blocks per source from one small aggregation; only sources with queries and candidates.
        Dataset<Row> perSource =
                queries.select(col(SOURCE), lit(1L).as("q"), lit(0L).as("c"))
                        .unionByName(
                                candidates.select(col(SOURCE), lit(0L).as("q"), lit(1L).as("c")))
                        .groupBy(SOURCE)
                        .agg(sum(col("q")).as("nq"), sum(col("c")).as("nc"))
                        .filter(col("nq").gt(0).and(col("nc").gt(0)))
                        .select(
                                col(SOURCE),
                                ceil(col("nq").divide(queryBlock)).as("nqb"),
                                ceil(col("nc").divide(corpusBlock)).as("ncb"));
        // Query blocks numbered across sources: a source's first block follows the blocks of the
        // sources before it by name (a pairing of the one-row-per-source table with itself).
        Dataset<Row> earlier =
                perSource.select(col(SOURCE).as("earlier_source"), col("nqb").as("earlier_nqb"));
        Dataset<Row> blocks =
                perSource
                        .join(broadcast(earlier), col("earlier_source").lt(col(SOURCE)), "left")
                        .groupBy(SOURCE, "nqb", "ncb")
                        .agg(coalesce(sum(col("earlier_nqb")), lit(0L)).as("first_group"));

        // One join for both sides: a query goes to its query block with candidate block -1 (sorted
        // before the candidates), a candidate to every query block of its source. The sort key is
        // one long, (query block numbered across sources) << 32 | (candidate block + 1), so the
        // sort compares longs only.
        Column isQuery = col("is_query");
        Column queryBlocks =
                when(isQuery, array(pmod(xxhash64(col(ID)), col("nqb"))))
                        .otherwise(sequence(lit(0L), col("nqb").minus(1)));
        Column corpusBlockOfRow =
                when(isQuery, lit(-1L)).otherwise(pmod(xxhash64(col(ID)), col("ncb")));
        Dataset<Row> rows =
                queries.select(col(SOURCE), lit(true).as("is_query"), col(ID), col(VEC))
                        .unionByName(
                                candidates.select(
                                        col(SOURCE), lit(false).as("is_query"), col(ID), col(VEC)))
                        .join(broadcast(blocks), SOURCE)
                        .select(
                                col(SOURCE),
                                col("first_group"),
                                explode(queryBlocks).as("qb"),
                                corpusBlockOfRow.as(CORPUS_BLOCK),
                                col(ID),
                                col(VEC))
                        .withColumn(GROUP, col("first_group").plus(col("qb")))
                        .select(
                                col(SOURCE),
                                shiftleft(col(GROUP), 32).plus(col(CORPUS_BLOCK).plus(1)).as(KEY),
                                col(GROUP),
                                col(ID),
                                col(VEC));
        LongAccumulator searched =
                StepCounter.register(queries.sparkSession().sparkContext(), SEARCH, "queries");
        return rows.repartition(col(GROUP))
                .sortWithinPartitions(KEY)
                .drop(GROUP)
                .as(Encoders.bean(BlockRow.class))
                .mapPartitions(
                        new SearchQueryBlocks(k, threads, scoreTile, searched),
                        Encoders.row(SCHEMA));
    }

    /**
     * One vector on its way to a query block: a Java bean so that Spark hands the vector over as a
     * {@code float[]} copied straight from its column, not as a list of boxed floats.
     */
    public static final class BlockRow implements Serializable {
        private static final long serialVersionUID = 1L;
        private String source;
        private long key;
        private String id;
        private float[] vec;

        public String getSource() {
            return source;
        }

        public void setSource(String source) {
            this.source = source;
        }

        /** (query block numbered across sources) << 32 | (candidate block + 1; 0 for a query). */
        public long getKey() {
            return key;
        }

        public void setKey(long key) {
            this.key = key;
        }

        public String getId() {
            return id;
        }

        public void setId(String id) {
            this.id = id;
        }

        public float[] getVec() {
            return vec;
        }

        public void setVec(float[] vec) {
            this.vec = vec;
        }
    }

    /**
     * Walks a partition of vector rows sorted by their key (query block, candidate block): the
     * queries of a query block come first (candidate block -1), then the candidates sent to it, one
     * candidate block after the other. Candidates sent to a query block that hashing left empty are
     * skipped. Emits the final hits of a query block once its last candidate block has been folded
     * in. Runs on executors.
     */
    private static final class SearchQueryBlocks implements MapPartitionsFunction<BlockRow, Row> {
        private static final long serialVersionUID = 1L;
        private final int k;
        private final int threads;
        private final int scoreTile;
        private final LongAccumulator searched;

        SearchQueryBlocks(int k, int threads, int scoreTile, LongAccumulator searched) {
            this.k = k;
            this.threads = threads;
            this.scoreTile = scoreTile;
            this.searched = searched;
        }

        /** The query block a row belongs to, numbered across sources. */
        private static long group(BlockRow row) {
            return row.getKey() >>> 32;
        }

        private static boolean isQuery(BlockRow row) {
            return (row.getKey() & 0xFFFF_FFFFL) == 0;
        }

        @Override
        public Iterator<Row> call(Iterator<BlockRow> blocks) {
            return new QueryBlocks(blocks);
        }

        /**
         * The hits of one partition's query blocks, one query block at a time: its queries, then
         * its candidate blocks scored against them, keeping each query's running top k.
         */
        private final class QueryBlocks implements Iterator<Row> {
            private final Iterator<BlockRow> blocks;
            private Iterator<Row> pending = Collections.emptyIterator();
            private BlockRow next;

            QueryBlocks(Iterator<BlockRow> blocks) {
                this.blocks = blocks;
                this.next = blocks.hasNext() ? blocks.next() : null;
            }

            @Override
            public boolean hasNext() {
                while (!pending.hasNext() && next != null) {
                    pending = searchOneQueryBlock();
                }
                return pending.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return pending.next();
            }

            /** Consumes the rows of one query block: its queries, then its candidates. */
            private Iterator<Row> searchOneQueryBlock() {
                String source = next.getSource();
                long group = group(next);
                if (!isQuery(next)) {
                    // Hashing left this query block empty: nobody to score candidates for.
                    while (inBlock(group)) {
                        advance();
                    }
                    return Collections.emptyIterator();
                }
                Vectors queries = new Vectors("query", -1);
                while (inBlock(group) && isQuery(next)) {
                    queries.add(advance());
                }
                RunningTopK[] best = scoreCandidates(queries, group);
                searched.add(best.length);
                String[] qIds = queries.ids();
                List<Row> out = new ArrayList<>(best.length);
                for (int r = 0; r < best.length; r++) {
                    out.add(
                            RowFactory.create(
                                    source, qIds[r], CollectionConverters.asScala(best[r].hits())));
                }
                return out.iterator();
            }

            /** Scores every candidate block of the group against the queries: their top k. */
            private RunningTopK[] scoreCandidates(Vectors queries, long group) {
                RunningTopK[] best = new RunningTopK[queries.size()];
                for (int r = 0; r < best.length; r++) {
                    best[r] = new RunningTopK(k);
                }
                float[] floors = new float[best.length];
                try (BlockScorer scorer =
                        new BlockScorer(
                                queries.flat(), best.length, queries.dim(), threads, scoreTile)) {
                    while (inBlock(group)) {
                        long key = next.getKey();
                        Vectors candidates = new Vectors("candidate", queries.dim());
                        while (inBlock(group) && next.getKey() == key) {
                            candidates.add(advance());
                        }
                        String[] cIds = candidates.ids();
                        for (int r = 0; r < best.length; r++) {
                            floors[r] = best[r].floor();
                        }
                        BlockScorer.TopK[] top =
                                scorer.topK(candidates.flat(), cIds.length, cIds, k, floors);
                        for (int r = 0; r < best.length; r++) {
                            best[r].merge(top[r], cIds);
                        }
                    }
                }
                return best;
            }

            private boolean inBlock(long group) {
                return next != null && group(next) == group;
            }

            private BlockRow advance() {
                BlockRow current = next;
                next = blocks.hasNext() ? blocks.next() : null;
                return current;
            }
        }
    }

    /**
     * The (id, vector) rows of one block, copied into one row-major float array; every vector must
     * have the block's dimension.
     */
    private static final class Vectors {
        private final String role;
        private final List<String> ids = new ArrayList<>();
        private int dim;
        private float[] flat = new float[0];

        /** {@code dim} -1: taken from the first vector. */
        Vectors(String role, int dim) {
            this.role = role;
            this.dim = dim;
        }

        void add(BlockRow row) {
            float[] vec = row.getVec();
            if (dim < 0) {
                dim = vec.length;
            }
            if (vec.length != dim) {
                throw new IllegalStateException(
                        role
                                + " "
                                + row.getId()
                                + " has an embedding of "
                                + vec.length
                                + " floats, expected "
                                + dim);
            }
            int n = ids.size();
            if ((n + 1) * dim > flat.length) {
                flat = Arrays.copyOf(flat, Math.max(dim, 2 * flat.length));
            }
            System.arraycopy(vec, 0, flat, n * dim, dim);
            ids.add(row.getId());
        }

        int size() {
            return ids.size();
        }

        int dim() {
            return dim;
        }

        String[] ids() {
            return ids.toArray(new String[0]);
        }

        float[] flat() {
            return flat.length == ids.size() * dim ? flat : Arrays.copyOf(flat, ids.size() * dim);
        }
    }

    /** The k best hits of one query over the candidate blocks folded in so far, best first. */
    static final class RunningTopK {
        private final int k;
        private String[] ids = new String[0];
        private float[] scores = new float[0];

        RunningTopK(int k) {
            this.k = k;
        }

        /** Folds in one block's exact top-k (indices into {@code blockIds}, best first). */
        void merge(BlockScorer.TopK block, String[] blockIds) {
            int[] index = block.index();
            float[] blockScores = block.score();
            if (index.length == 0 || (ids.length == k && blockScores[0] < scores[ids.length - 1])) {
                return; // nothing in the block beats the worst hit kept
            }
            int n = Math.min(k, ids.length + index.length);
            String[] mergedIds = new String[n];
            float[] mergedScores = new float[n];
            int a = 0;
            int b = 0;
            for (int out = 0; out < n; out++) {
                boolean takeKept =
                        b == index.length
                                || (a < ids.length
                                        && (scores[a] > blockScores[b]
                                                || (scores[a] == blockScores[b]
                                                        && ids[a].compareTo(blockIds[index[b]])
                                                                < 0)));
                if (takeKept) {
                    mergedIds[out] = ids[a];
                    mergedScores[out] = scores[a++];
                } else {
                    mergedIds[out] = blockIds[index[b]];
                    mergedScores[out] = blockScores[b++];
                }
            }
            ids = mergedIds;
            scores = mergedScores;
        }

        /** The score a candidate needs to matter: the k-th best so far, or -inf before k hits. */
        float floor() {
            return ids.length == k ? scores[k - 1] : Float.NEGATIVE_INFINITY;
        }

        List<Row> hits() {
            List<Row> hits = new ArrayList<>(ids.length);
            for (int i = 0; i < ids.length; i++) {
                hits.add(RowFactory.create(ids[i], scores[i]));
            }
            return hits;
        }
    }
}
