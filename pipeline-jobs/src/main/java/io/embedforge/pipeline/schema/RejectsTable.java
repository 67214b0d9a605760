package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Every record a stage could not use, with the reason. Together with the output rows and the
 * counted duplicates this accounts for every record read: nothing is lost silently.
 */
public final class RejectsTable {
    public static final String NAME = "rejects";

    /** Pipeline stage that rejected the record ({@code ingest}, {@code mine-bm25}, ...). */
    public static final String STAGE = "stage";

    /** Role of the input within the source: {@code records}, {@code corpus}, {@code qrels}, ... */
    public static final String INPUT = "input";

    /** Reason code, one of {@code RejectReason}'s codes (lower snake case). */
    public static final String REASON = "reason";

    /** Where the record was: file URI and line, byte offset or row. */
    public static final String LOCATION = "location";

    /** Human-readable detail: which field, which value, what was expected. */
    public static final String DETAIL = "detail";

    /** Excerpt of the raw record (at most {@code RejectsTable#RAW_EXCERPT_CHARS} characters). */
    public static final String RAW = "raw";

    /** Longest raw excerpt kept in a reject row. */
    public static final int RAW_EXCERPT_CHARS = 300;

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(STAGE, DataTypes.StringType, false)
                    .add(INPUT, DataTypes.StringType, false)
                    .add(REASON, DataTypes.StringType, false)
                    .add(LOCATION, DataTypes.StringType, false)
                    .add(DETAIL, DataTypes.StringType, true)
                    .add(RAW, DataTypes.StringType, true);

    private RejectsTable() {}
}
