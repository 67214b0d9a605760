package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Documents a retrieval source ships (BEIR corpus, MS MARCO collection). Dense mining draws its
 * candidates from here; sets that ship only pairs have no rows and mining falls back to the pool of
 * their positives.
 */
public final class CorpusTable {
    public static final String NAME = "corpus";

    /** Native document id, or the stable content hash when the format has none. */
    public static final String DOC_ID = "doc_id";

    /** Optional title (BEIR); null when absent. */
    public static final String TITLE = "title";

    /** Normalised document text. */
    public static final String TEXT = "text";

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(DOC_ID, DataTypes.StringType, false)
                    .add(TITLE, DataTypes.StringType, true)
                    .add(TEXT, DataTypes.StringType, false);

    private CorpusTable() {}
}
