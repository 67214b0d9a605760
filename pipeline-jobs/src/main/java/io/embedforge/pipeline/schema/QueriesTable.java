package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Queries of sources that ship them apart from their judgments (BEIR {@code queries.jsonl}, TREC
 * topics). Kept even when no judgment or passage exists for them, because evaluation queries are
 * what decontamination must look for in training text.
 */
public final class QueriesTable {
    public static final String NAME = "queries";

    /** Native query id. */
    public static final String QUERY_ID = "query_id";

    /** Normalised query text. */
    public static final String TEXT = "text";

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(QUERY_ID, DataTypes.StringType, false)
                    .add(TEXT, DataTypes.StringType, false);

    private QueriesTable() {}
}
