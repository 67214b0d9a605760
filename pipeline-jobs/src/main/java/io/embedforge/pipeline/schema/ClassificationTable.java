package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Labelled texts of the MTEB classification train splits. The recipe turns {@link #TEXT} into the
 * query and {@link #LABEL_TEXT} into the positive, so the label's readable text is resolved at
 * ingest from the source's label map.
 */
public final class ClassificationTable {
    public static final String NAME = "classification";

    /** Normalised text to classify. */
    public static final String TEXT = "text";

    /** Label as the dataset writes it (a code, a number or a name). */
    public static final String LABEL = "label";

    /** Human-readable label text, used as the positive document. */
    public static final String LABEL_TEXT = "label_text";

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(TEXT, DataTypes.StringType, false)
                    .add(LABEL, DataTypes.StringType, false)
                    .add(LABEL_TEXT, DataTypes.StringType, false);

    private ClassificationTable() {}
}
