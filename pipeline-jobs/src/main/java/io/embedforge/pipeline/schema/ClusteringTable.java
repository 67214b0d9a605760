package io.embedforge.pipeline.schema;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Papers with their categories (arXiv, bioRxiv, medRxiv). Both title and abstract are kept so that
 * the S2S (title) and P2P (abstract) targets can be chosen later without re-ingesting.
 */
public final class ClusteringTable {
    public static final String NAME = "clustering";

    /** Normalised title. */
    public static final String TITLE = "title";

    /** Normalised abstract; null when the dataset has none. */
    public static final String ABSTRACT = "abstract";

    /** Main category (the first of {@link #CATEGORIES} when the dataset lists several). */
    public static final String CATEGORY = "category";

    /** Every category of the record, main first; never empty. */
    public static final String CATEGORIES = "categories";

    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(TITLE, DataTypes.StringType, false)
                    .add(ABSTRACT, DataTypes.StringType, true)
                    .add(CATEGORY, DataTypes.StringType, false)
                    .add(CATEGORIES, DataTypes.createArrayType(DataTypes.StringType, false), false);

    private ClusteringTable() {}
}
