package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The contract between the miners ({@code mine-dense}, {@code mine-bm25}, {@code label-negatives})
 * and the blend stage: one row per training example, with its negatives in rank order and, for each
 * negative, the score and rank that made the miner choose it (explainable negatives).
 *
 * <p>The negatives array holds 0 to {@code max_negatives} distinct texts and is never padded: a
 * binary label set or a thin BM25 pool gives a shorter array. The three negative_* arrays are
 * aligned with {@link #NEGATIVES}.
 */
public final class NegativesTable {
    /** Directory of the examples under a stage's output directory. */
    public static final String EXAMPLES_DIR = "examples";

    /** {@code sts}, {@code classification} or {@code clustering}. */
    public static final String TASK_TYPE = "task_type";

    /** Query text, normalised, without instruction. */
    public static final String QUERY = "query";

    /** Positive document text, normalised. */
    public static final String POSITIVE = "positive";

    /** Negative texts, best first; distinct, none equal to the query or the positive. */
    public static final String NEGATIVES = "negatives";

    /** BM25 score of each negative against the query; null elements for label negatives. */
    public static final String NEGATIVE_SCORES = "negative_scores";

    /**
     * Rank of each negative: the 1-based BM25 rank in the whole pool (mine-bm25), or the position
     * of the sampled negative (label-negatives).
     */
    public static final String NEGATIVE_RANKS = "negative_ranks";

    /** Which miner found the negatives: {@code bm25}, {@code label} or {@code example}. */
    public static final String NEGATIVE_MINER = "negative_miner";

    /**
     * Extra column of {@code label-negatives}: the input field the query came from ({@code text},
     * {@code title} or {@code abstract}); blend gives P2P ({@code abstract}) queries their own
     * instruction.
     */
    public static final String QUERY_FIELD = "query_field";

    /** Extra column of {@code mine-dense}: document ids of the negatives. */
    public static final String NEGATIVE_IDS = "negative_ids";

    /**
     * Extra column of {@code mine-dense} (inner product of the positive with the query) and {@code
     * mine-bm25} (BM25 score of the positive for the query, with the pool's statistics): the
     * report's positive scores and margins per miner.
     */
    public static final String POSITIVE_SCORE = "positive_score";

    public static final String TASK_RETRIEVAL = "retrieval";
    public static final String TASK_STS = "sts";
    public static final String TASK_CLASSIFICATION = "classification";
    public static final String TASK_CLUSTERING = "clustering";

    public static final String MINER_DENSE = "dense";
    public static final String MINER_BM25 = "bm25";
    public static final String MINER_LABEL = "label";
    public static final String MINER_EXAMPLE = "example";

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(TASK_TYPE, DataTypes.StringType, false)
                    .add(QUERY, DataTypes.StringType, false)
                    .add(POSITIVE, DataTypes.StringType, false)
                    .add(NEGATIVES, DataTypes.createArrayType(DataTypes.StringType, false), false)
                    .add(
                            NEGATIVE_SCORES,
                            DataTypes.createArrayType(DataTypes.DoubleType, true),
                            false)
                    .add(
                            NEGATIVE_RANKS,
                            DataTypes.createArrayType(DataTypes.IntegerType, false),
                            false)
                    .add(NEGATIVE_MINER, DataTypes.StringType, false);

    private NegativesTable() {}
}
