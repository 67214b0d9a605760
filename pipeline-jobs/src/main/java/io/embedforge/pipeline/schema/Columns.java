package io.embedforge.pipeline.schema;

/**
 * Column names shared by every Parquet contract of the pipeline. Stages refer to columns only
 * through these constants (and the per-table classes beside this one), so a rename is one edit and
 * the training driver can rely on the same names.
 */
public final class Columns {
    /** Dataset name as configured in {@code conf/sources/<name>.yaml}. */
    public static final String SOURCE = "source";

    /** Split of the source record: {@code train}, {@code dev}, {@code test}, ... */
    public static final String SPLIT = "split";

    /** Stable id: a hash of the source and the normalised content (see {@code StableIds}). */
    public static final String EXAMPLE_ID = "example_id";

    private Columns() {}
}
