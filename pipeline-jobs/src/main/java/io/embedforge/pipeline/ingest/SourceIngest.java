package io.embedforge.pipeline.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.CorpusTable;
import io.embedforge.pipeline.schema.QueriesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Ingest of one source as a pure transformation: extracted records in, canonical rows, reject rows
 * and counts out. Duplicates are resolved by (file, position) order, so "the first occurrence" is
 * the same whatever the partitioning; qrels become retrieval pairs by joining with the source's
 * queries and corpus. The driver builds the plan; executors do the work.
 */
public final class SourceIngest {
    /** Counts per role: (source, input, read, outcomes). */
    public static final StructType OUTCOME_COUNTS =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(RejectsTable.INPUT, DataTypes.StringType, false)
                    .add("read", DataTypes.LongType, false)
                    .add("outcomes", DataTypes.LongType, false);

    /** Duplicates removed per role: (source, input, duplicates). */
    public static final StructType DUPLICATE_COUNTS =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(RejectsTable.INPUT, DataTypes.StringType, false)
                    .add("duplicates", DataTypes.LongType, false);

    private static final String RN = "_rn";
    private static final String FIRST_CONTENT = "_first_content";
    private static final String FIRST_LOC = "_first_loc";

    /**
     * What ingest made of one source.
     *
     * @param tables canonical table name to rows (canonical schema plus {@code _file}, {@code _pos})
     * @param rejects reject rows ({@link IngestSchemas#REJECTS})
     * @param outcomeCounts {@link #OUTCOME_COUNTS} rows
     * @param duplicateCounts {@link #DUPLICATE_COUNTS} rows
     * @param persisted what to unpersist when the caller is done
     */
    public record Result(
            Map<String, Dataset<Row>> tables,
            Dataset<Row> rejects,
            Dataset<Row> outcomeCounts,
            Dataset<Row> duplicateCounts,
            List<JavaRDD<Outcome>> persisted) {}

    private SourceIngest() {}

    public static Result apply(
            SparkSession spark, SourceConfig source, Map<String, JavaRDD<ExtractedRecord>> inputs) {
        RecordValidator validator = new RecordValidator(source);
        Map<String, Dataset<Row>> valid = new LinkedHashMap<>();
        List<Dataset<Row>> rejects = new ArrayList<>();
        List<Dataset<Row>> outcomeCounts = new ArrayList<>();
        List<Dataset<Row>> duplicateCounts = new ArrayList<>();
        List<JavaRDD<Outcome>> persisted = new ArrayList<>();

        for (Map.Entry<String, JavaRDD<ExtractedRecord>> e : inputs.entrySet()) {
            String role = e.getKey();
            JavaRDD<Outcome> outcomes =
                    e.getValue().flatMap(r -> validator.validate(r).iterator());
            outcomes.persist(StorageLevel.MEMORY_AND_DISK());
            persisted.add(outcomes);
            StructType schema =
                    IngestSchemas.withPosition(IngestSchemas.base(source.taskType(), role));
            valid.put(role, spark.createDataFrame(outcomes.filter(Outcome::ok).map(Outcome::row), schema));
            rejects.add(
                    spark.createDataFrame(
                            outcomes.filter(o -> !o.ok()).map(Outcome::reject), IngestSchemas.REJECTS));
            String name = source.name();
            outcomeCounts.add(
                    spark.createDataFrame(
                                    outcomes.map(
                                            o -> RowFactory.create(name, o.role(), o.first() ? 1L : 0L, 1L)),
                                    OUTCOME_COUNTS)
                            .groupBy(Columns.SOURCE, RejectsTable.INPUT)
                            .agg(
                                    org.apache.spark.sql.functions.sum("read").as("read"),
                                    org.apache.spark.sql.functions.sum("outcomes").as("outcomes")));
        }

        Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
        for (Map.Entry<String, Dataset<Row>> e : valid.entrySet()) {
            String role = e.getKey();
            if (role.equals(InputSpec.QRELS)) {
                continue;
            }
            Resolved r = resolve(e.getValue(), role, keyColumns(source, role), contentColumns(source, role));
            tables.put(IngestSchemas.table(source.taskType(), role), r.kept());
            rejects.add(r.conflicts());
            duplicateCounts.add(r.duplicateCounts());
        }
        if (valid.containsKey(InputSpec.QRELS)) {
            Resolved qrels =
                    resolve(
                            valid.get(InputSpec.QRELS),
                            InputSpec.QRELS,
                            List.of(Columns.SOURCE, RetrievalTable.QUERY_ID, CorpusTable.DOC_ID),
                            List.of(IngestSchemas.QRELS_RELEVANCE));
            rejects.add(qrels.conflicts());
            duplicateCounts.add(qrels.duplicateCounts());
            Pairs pairs =
                    pairsFromQrels(
                            spark,
                            source,
                            qrels.kept(),
                            tables.get(QueriesTable.NAME),
                            tables.get(CorpusTable.NAME));
            rejects.add(pairs.rejects());
            Resolved deduped =
                    resolve(
                            pairs.rows(),
                            InputSpec.QRELS,
                            List.of(Columns.SOURCE, Columns.EXAMPLE_ID),
                            List.of(Columns.EXAMPLE_ID));
            duplicateCounts.add(deduped.duplicateCounts());
            tables.put(RetrievalTable.NAME, deduped.kept());
        }
        return new Result(
                tables,
                unionAll(rejects),
                unionAll(outcomeCounts),
                unionAll(duplicateCounts),
                persisted);
    }

    private record Resolved(Dataset<Row> kept, Dataset<Row> conflicts, Dataset<Row> duplicateCounts) {}

    /**
     * Keeps the first record (by file and position) of each key; later records with the same
     * content are counted as duplicates, later records with other content are rejected as
     * {@code duplicate_id}.
     */
    private static Resolved resolve(
            Dataset<Row> rows, String role, List<String> keys, List<String> content) {
        WindowSpec byKey =
                Window.partitionBy(cols(keys))
                        .orderBy(col(IngestSchemas.FILE), col(IngestSchemas.POS));
        Column contentStruct = struct(cols(content));
        WindowSpec unbounded = byKey.rowsBetween(Window.unboundedPreceding(), Window.currentRow());
        Dataset<Row> ranked =
                rows.withColumn(RN, row_number().over(byKey))
                        .withColumn(FIRST_CONTENT, first(contentStruct).over(unbounded))
                        .withColumn(FIRST_LOC, first(col(IngestSchemas.LOC)).over(unbounded));
        String[] original = rows.columns();
        Dataset<Row> kept = ranked.filter(col(RN).equalTo(1)).select(cols(List.of(original)));
        Column later = col(RN).gt(1);
        Column same = contentStruct.eqNullSafe(col(FIRST_CONTENT));
        Dataset<Row> duplicateCounts =
                ranked.filter(later.and(same))
                        .groupBy(Columns.SOURCE)
                        .count()
                        .select(
                                col(Columns.SOURCE),
                                lit(role).as(RejectsTable.INPUT),
                                col("count").as("duplicates"));
        Dataset<Row> conflicts =
                ranked.filter(later.and(org.apache.spark.sql.functions.not(same)))
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                lit(RecordValidator.STAGE).as(RejectsTable.STAGE),
                                lit(role).as(RejectsTable.INPUT),
                                lit(RejectReason.DUPLICATE_ID.code()).as(RejectsTable.REASON),
                                col(IngestSchemas.LOC).as(RejectsTable.LOCATION),
                                concat_ws(
                                                "",
                                                lit("id '"),
                                                concat_ws("', '", cols(keys.subList(1, keys.size()))),
                                                lit("' was first used with other content at "),
                                                col(FIRST_LOC))
                                        .as(RejectsTable.DETAIL),
                                org.apache.spark.sql.functions
                                        .substring(
                                                org.apache.spark.sql.functions.to_json(contentStruct),
                                                1,
                                                RejectsTable.RAW_EXCERPT_CHARS)
                                        .as(RejectsTable.RAW),
                                col(IngestSchemas.FILE),
                                col(IngestSchemas.POS),
                                col(IngestSchemas.LOC));
        return new Resolved(kept, conflicts, duplicateCounts);
    }

    private record Pairs(Dataset<Row> rows, Dataset<Row> rejects) {}

    /**
     * Joins judgments with their queries and documents. Checks run in a fixed order: the query
     * must exist, then the document, then the relevance must reach {@code min_relevance}.
     */
    private static Pairs pairsFromQrels(
            SparkSession spark,
            SourceConfig source,
            Dataset<Row> qrels,
            Dataset<Row> queries,
            Dataset<Row> corpus) {
        double minRelevance =
                source.input(InputSpec.QRELS).options().number("min_relevance", 1.0);
        Dataset<Row> q =
                queries.select(
                        col(RetrievalTable.QUERY_ID).as("_q_id"),
                        col(QueriesTable.TEXT).as(RetrievalTable.QUERY));
        Dataset<Row> joined =
                qrels.join(q, qrels.col(RetrievalTable.QUERY_ID).equalTo(q.col("_q_id")), "left");
        if (corpus != null) {
            Dataset<Row> d =
                    corpus.select(
                            col(CorpusTable.DOC_ID).as("_d_id"),
                            concat_ws(" ", col(CorpusTable.TITLE), col(CorpusTable.TEXT))
                                    .as(RetrievalTable.POSITIVE));
            joined = joined.join(d, joined.col(CorpusTable.DOC_ID).equalTo(d.col("_d_id")), "left");
        } else {
            joined = joined.withColumn(RetrievalTable.POSITIVE, lit(null).cast(DataTypes.StringType));
        }
        Column reason =
                when(col(RetrievalTable.QUERY).isNull(), lit(RejectReason.DANGLING_QUERY_ID.code()))
                        .when(
                                col(RetrievalTable.POSITIVE).isNull(),
                                lit(RejectReason.DANGLING_DOC_ID.code()))
                        .when(
                                col(IngestSchemas.QRELS_RELEVANCE).lt(minRelevance),
                                lit(RejectReason.FILTERED.code()));
        Dataset<Row> judged = joined.withColumn("_reason", reason);
        Column detail =
                when(
                                col("_reason").equalTo(RejectReason.DANGLING_QUERY_ID.code()),
                                concat_ws("", lit("query id '"), col(RetrievalTable.QUERY_ID), lit("' is not among the source's queries")))
                        .when(
                                col("_reason").equalTo(RejectReason.DANGLING_DOC_ID.code()),
                                concat_ws(
                                        "",
                                        lit("document id '"),
                                        col(CorpusTable.DOC_ID),
                                        lit(corpus == null ? "' has no passage: the source has no corpus" : "' is not in the source's corpus")))
                        .otherwise(
                                concat_ws(
                                        "",
                                        lit("relevance "),
                                        col(IngestSchemas.QRELS_RELEVANCE).cast("string"),
                                        lit(" < min_relevance " + minRelevance)));
        Dataset<Row> rejects =
                judged.filter(col("_reason").isNotNull())
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                lit(RecordValidator.STAGE).as(RejectsTable.STAGE),
                                lit(InputSpec.QRELS).as(RejectsTable.INPUT),
                                col("_reason").as(RejectsTable.REASON),
                                col(IngestSchemas.LOC).as(RejectsTable.LOCATION),
                                detail.as(RejectsTable.DETAIL),
                                col(IngestSchemas.RAW).as(RejectsTable.RAW),
                                col(IngestSchemas.FILE),
                                col(IngestSchemas.POS),
                                col(IngestSchemas.LOC));
        String name = source.name();
        StructType pairSchema = IngestSchemas.withPosition(RetrievalTable.SCHEMA);
        Dataset<Row> rows =
                judged.filter(col("_reason").isNull())
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                col(RetrievalTable.QUERY_ID),
                                col(RetrievalTable.QUERY),
                                col(CorpusTable.DOC_ID),
                                col(RetrievalTable.POSITIVE),
                                col(IngestSchemas.FILE),
                                col(IngestSchemas.POS),
                                col(IngestSchemas.LOC))
                        .map(
                                (org.apache.spark.api.java.function.MapFunction<Row, Row>)
                                        r ->
                                                RowFactory.create(
                                                        r.getString(0),
                                                        r.getString(1),
                                                        StableIds.of(name, r.getString(3), r.getString(5)),
                                                        r.getString(2),
                                                        r.getString(3),
                                                        r.getString(4),
                                                        r.getString(5),
                                                        new String[0],
                                                        new String[0],
                                                        r.getString(6),
                                                        r.getLong(7),
                                                        r.getString(8)),
                                Encoders.row(pairSchema));
        return new Pairs(rows, rejects);
    }

    private static List<String> keyColumns(SourceConfig source, String role) {
        return switch (role) {
            case InputSpec.CORPUS -> List.of(Columns.SOURCE, CorpusTable.DOC_ID);
            case InputSpec.QUERIES -> List.of(Columns.SOURCE, QueriesTable.QUERY_ID);
            default -> List.of(Columns.SOURCE, Columns.EXAMPLE_ID);
        };
    }

    private static List<String> contentColumns(SourceConfig source, String role) {
        return switch (role) {
            case InputSpec.CORPUS -> List.of(CorpusTable.TITLE, CorpusTable.TEXT);
            case InputSpec.QUERIES -> List.of(QueriesTable.TEXT);
            default -> List.of(Columns.EXAMPLE_ID);
        };
    }

    private static Column[] cols(List<String> names) {
        return names.stream().map(n -> col(n)).toArray(Column[]::new);
    }

    private static Dataset<Row> unionAll(List<Dataset<Row>> parts) {
        Dataset<Row> out = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            out = out.unionByName(parts.get(i));
        }
        return out;
    }
}
