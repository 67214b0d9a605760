package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Sentence pairs with a similarity score. Scores are rescaled at ingest to the recipe's 0..5 scale
 * (5 = same meaning) whatever the dataset's own range and direction, so the thresholds of the
 * recipe (keep >= 4, exclude negatives > 2.5) apply to every source alike.
 */
public final class StsTable {
    public static final String NAME = "sts";

    public static final String TEXT_A = "text_a";
    public static final String TEXT_B = "text_b";

    /** Similarity on the 0..5 scale, finite. */
    public static final String SCORE = "score";

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(TEXT_A, DataTypes.StringType, false)
                    .add(TEXT_B, DataTypes.StringType, false)
                    .add(SCORE, DataTypes.DoubleType, false);

    private StsTable() {}
}
