package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.TaskType;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.ClusteringTable;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.CorpusTable;
import io.embedforge.pipeline.schema.QueriesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.schema.StsTable;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Intermediate schemas of ingest: each canonical schema plus the record's file and position, which
 * make "the first occurrence" well defined when duplicates are resolved, whatever the partitioning.
 * The two extra columns are dropped before anything is written.
 */
final class IngestSchemas {
    static final String FILE = "_file";
    static final String POS = "_pos";

    /** Parsed qrels lines before they are joined with queries and corpus. */
    static final String QRELS_RELEVANCE = "relevance";

    static final String LOC = "_loc";
    static final String RAW = "_raw";

    static final StructType QRELS =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(RetrievalTable.QUERY_ID, DataTypes.StringType, false)
                    .add(CorpusTable.DOC_ID, DataTypes.StringType, false)
                    .add(QRELS_RELEVANCE, DataTypes.DoubleType, false)
                    .add(RAW, DataTypes.StringType, true);

    static final StructType REJECTS = withPosition(RejectsTable.SCHEMA);

    private IngestSchemas() {}

    /** The schema of a kind's valid rows before dedup (without {@code _file}/{@code _pos}). */
    static StructType base(String kind) {
        return switch (kind) {
            case CorpusTable.NAME -> CorpusTable.SCHEMA;
            case QueriesTable.NAME -> QueriesTable.SCHEMA;
            case InputSpec.QRELS -> QRELS;
            case RetrievalTable.NAME -> RetrievalTable.SCHEMA;
            case ClassificationTable.NAME -> ClassificationTable.SCHEMA;
            case ClusteringTable.NAME -> ClusteringTable.SCHEMA;
            case StsTable.NAME -> StsTable.SCHEMA;
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        };
    }

    /** Every kind, in a fixed order. */
    static final java.util.List<String> KINDS =
            java.util.List.of(
                    RetrievalTable.NAME,
                    QueriesTable.NAME,
                    CorpusTable.NAME,
                    ClassificationTable.NAME,
                    ClusteringTable.NAME,
                    StsTable.NAME,
                    InputSpec.QRELS);

    /** Kind of the rows a role's valid records become: a canonical table, or {@code qrels}. */
    static String kind(TaskType task, String role) {
        return role.equals(InputSpec.QRELS) ? InputSpec.QRELS : table(task, role);
    }

    /** The canonical table a role's rows end in. */
    static String table(TaskType task, String role) {
        return switch (role) {
            case InputSpec.CORPUS -> CorpusTable.NAME;
            case InputSpec.QUERIES -> QueriesTable.NAME;
            case InputSpec.QRELS -> RetrievalTable.NAME;
            default ->
                    switch (task) {
                        case RETRIEVAL -> RetrievalTable.NAME;
                        case CLASSIFICATION -> ClassificationTable.NAME;
                        case CLUSTERING -> ClusteringTable.NAME;
                        case STS -> StsTable.NAME;
                    };
        };
    }

    static StructType withPosition(StructType schema) {
        return schema.add(FILE, DataTypes.StringType, false)
                .add(POS, DataTypes.LongType, false)
                .add(LOC, DataTypes.StringType, false);
    }
}
