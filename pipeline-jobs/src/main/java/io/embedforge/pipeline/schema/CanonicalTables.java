package io.embedforge.pipeline.schema;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.types.StructType;

/**
 * The canonical tables {@code ingest} writes, in the order it writes them, with their schemas: what
 * {@code decontaminate} and the miners read. Listed once here so the stage registry, ingest and its
 * readers agree.
 */
public final class CanonicalTables {
    /** Table name to schema, in write order. */
    public static final Map<String, StructType> ALL = tables();

    private CanonicalTables() {}

    private static Map<String, StructType> tables() {
        Map<String, StructType> t = new LinkedHashMap<>();
        t.put(RetrievalTable.NAME, RetrievalTable.SCHEMA);
        t.put(QueriesTable.NAME, QueriesTable.SCHEMA);
        t.put(CorpusTable.NAME, CorpusTable.SCHEMA);
        t.put(ClassificationTable.NAME, ClassificationTable.SCHEMA);
        t.put(ClusteringTable.NAME, ClusteringTable.SCHEMA);
        t.put(StsTable.NAME, StsTable.SCHEMA);
        return java.util.Collections.unmodifiableMap(t);
    }
}
