package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.ceil;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.flatten;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Exact inner-product top-k of every query against the candidates of its source, on Spark, without
 * collecting embeddings anywhere.
 *
 * <p>Queries and candidates of a source are hashed into blocks of about {@code query_block} and
 * {@code corpus_block} rows ({@code ceil(n / block)} blocks, by the xxhash64 of the id). Every
 * query block is paired with every candidate block of its source through an equi-join on (source,
 * candidate block), so a joined row holds exactly one block of each side; each pair is scored with
 * one matrix product ({@link BlockScorer}) and yields a partial top-k per query; partial lists are
 * merged per query by (score desc, id asc). A task's memory is therefore bounded by the block sizes
 * (plus k hits per query and candidate block), not by the corpus.
 *
 * <p>Planned on the driver; the scoring closure runs on executors. Because ties are broken by id
 * and every block keeps its exact top-k, the result does not depend on block sizes or partitions.
 */
public final class BlockedSearch {
    /** Column: source of the query/candidate. */
    public static final String SOURCE = "source";

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
        Dataset<Row> qCounts = queries.groupBy(SOURCE).agg(count(lit(1)).as("nq"));
        Dataset<Row> cCounts =
                candidates
                        .groupBy(SOURCE)
                        .agg(count(lit(1)).as("nc"))
                        .withColumn("ncb", ceil(col("nc").divide(corpusBlock)));

        Dataset<Row> qBlocks =
                queries.join(broadcast(qCounts), SOURCE)
                        .withColumn(
                                "qb", pmod(xxhash64(col(ID)), ceil(col("nq").divide(queryBlock))))
                        .groupBy(SOURCE, "qb")
                        .agg(collect_list(struct(col(ID), col(VEC))).as("qrows"));
        Dataset<Row> cBlocks =
                candidates
                        .join(broadcast(cCounts), SOURCE)
                        .withColumn("cb", pmod(xxhash64(col(ID)), col("ncb")))
                        .groupBy(SOURCE, "cb")
                        .agg(collect_list(struct(col(ID), col(VEC))).as("crows"));
        Dataset<Row> pairs =
                qBlocks.join(broadcast(cCounts.select(SOURCE, "ncb")), SOURCE)
                        .withColumn("cb", explode(sequence(lit(0L), col("ncb").minus(1))))
                        .join(cBlocks, new String[] {SOURCE, "cb"})
                        .select(SOURCE, "qrows", "crows");

        Dataset<Row> partial = pairs.flatMap(new ScorePair(k, threads), Encoders.row(SCHEMA));
        String order =
                "(a, b) -> case when a.score > b.score then -1 when a.score < b.score then 1"
                        + " when a.id < b.id then -1 when a.id > b.id then 1 else 0 end";
        return partial.groupBy(SOURCE, ID)
                .agg(flatten(collect_list(col(HITS))).as("all"))
                .select(
                        col(SOURCE),
                        col(ID),
                        expr("slice(array_sort(all, " + order + "), 1, " + k + ")").as(HITS));
    }

    /** Scores one (query block, candidate block) pair; runs on executors. */
    private static final class ScorePair implements FlatMapFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final int k;
        private final int threads;

        ScorePair(int k, int threads) {
            this.k = k;
            this.threads = threads;
        }

        @Override
        public Iterator<Row> call(Row pair) {
            String source = pair.getString(0);
            List<Row> qrows = pair.getList(1);
            List<Row> crows = pair.getList(2);
            int dim = qrows.get(0).getList(1).size();
            float[] q = flatten(qrows, dim, "query");
            float[] c = flatten(crows, dim, "candidate");
            String[] cIds = new String[crows.size()];
            for (int i = 0; i < cIds.length; i++) {
                cIds[i] = crows.get(i).getString(0);
            }
            BlockScorer.TopK[] top =
                    BlockScorer.topK(q, qrows.size(), c, crows.size(), dim, cIds, k, threads);
            List<Row> out = new ArrayList<>(qrows.size());
            for (int r = 0; r < qrows.size(); r++) {
                BlockScorer.TopK t = top[r];
                List<Row> hits = new ArrayList<>(t.index().length);
                for (int j = 0; j < t.index().length; j++) {
                    hits.add(RowFactory.create(cIds[t.index()[j]], t.score()[j]));
                }
                out.add(
                        RowFactory.create(
                                source,
                                qrows.get(r).getString(0),
                                CollectionConverters.asScala(hits)));
            }
            return out.iterator();
        }

        private static float[] flatten(List<Row> rows, int dim, String role) {
            float[] flat = new float[rows.size() * dim];
            for (int i = 0; i < rows.size(); i++) {
                List<Float> v = rows.get(i).getList(1);
                if (v.size() != dim) {
                    throw new IllegalStateException(
                            role
                                    + " "
                                    + rows.get(i).getString(0)
                                    + " has an embedding of "
                                    + v.size()
                                    + " floats, expected "
                                    + dim);
                }
                int base = i * dim;
                for (int j = 0; j < dim; j++) {
                    flat[base + j] = v.get(j);
                }
            }
            return flat;
        }
    }
}
