package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One row per (query, positive document): the unit the recipe trains on. A query with several
 * relevant documents has several rows sharing {@link #QUERY_ID}, which is how mining knows every
 * positive it must exclude.
 */
public final class RetrievalTable {
    public static final String NAME = "retrieval";

    /** Native query id, or the stable hash of the query text for pair-only formats. */
    public static final String QUERY_ID = "query_id";

    /** Normalised query text, without any instruction. */
    public static final String QUERY = "query";

    /** Native document id of the positive, or the stable hash of its text. */
    public static final String POSITIVE_ID = "positive_id";

    /** Normalised positive text (title and body joined by a space when the corpus has titles). */
    public static final String POSITIVE = "positive";

    /** Ids of negatives the dataset itself ships (may be empty, never null). */
    public static final String NEGATIVE_IDS = "negative_ids";

    /** Texts of negatives the dataset itself ships, aligned with {@link #NEGATIVE_IDS}. */
    public static final String NEGATIVES = "negatives";

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(QUERY_ID, DataTypes.StringType, false)
                    .add(QUERY, DataTypes.StringType, false)
                    .add(POSITIVE_ID, DataTypes.StringType, false)
                    .add(POSITIVE, DataTypes.StringType, false)
                    .add(
                            NEGATIVE_IDS,
                            DataTypes.createArrayType(DataTypes.StringType, false),
                            false)
                    .add(NEGATIVES, DataTypes.createArrayType(DataTypes.StringType, false), false);

    private RetrievalTable() {}
}
