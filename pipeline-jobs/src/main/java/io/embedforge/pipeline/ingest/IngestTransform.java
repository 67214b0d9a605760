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
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Ingest as one transformation over every source at once: extracted records in, canonical rows,
 * reject rows and counts out. All sources share each step (one validation pass, one dedup window
 * per table, one join of qrels with queries and corpus), so the number of Spark jobs does not grow
 * with the number of sources. Duplicates are resolved by (file, position) order, so "the first
 * occurrence" is the same whatever the partitioning. The driver builds the plan; executors do the
 * work.
 */
public final class IngestTransform {
    /**
     * Counts per role: (source, input, read, records, outcomes): physical records the readers
     * consumed (their tallies), records they emitted, and rows plus rejects validation made.
     */
    public static final StructType OUTCOME_COUNTS =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(RejectsTable.INPUT, DataTypes.StringType, false)
                    .add("read", DataTypes.LongType, false)
                    .add("records", DataTypes.LongType, false)
                    .add("outcomes", DataTypes.LongType, false);

    private static final StructType DUPLICATE_COUNTS =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(RejectsTable.INPUT, DataTypes.StringType, false)
                    .add("duplicates", DataTypes.LongType, false);

    private static final StructType MIN_RELEVANCE =
            new StructType()
                    .add("_mr_source", DataTypes.StringType, false)
                    .add("_min_relevance", DataTypes.DoubleType, false);

    private static final String RN = "_rn";
    private static final String FIRST_CONTENT = "_first_content";
    private static final String FIRST_LOC = "_first_loc";

    /** One source and its extracted inputs by role. */
    public record SourceInputs(SourceConfig source, Map<String, JavaRDD<ExtractedRecord>> inputs) {}

    /**
     * What ingest made of the sources.
     *
     * @param tables canonical table name to rows (canonical schema plus {@code _file}, {@code
     *     _pos}, {@code _loc})
     * @param rejects reject rows ({@link IngestSchemas#REJECTS})
     * @param outcomeCounts {@link #OUTCOME_COUNTS} rows, already aggregated
     * @param duplicateCounts (source, input, duplicates) rows
     * @param outcomes the persisted validation pass; release with {@link #release}
     * @param cached persisted intermediate results; release with {@link #release}
     */
    public record Result(
            Map<String, Dataset<Row>> tables,
            Dataset<Row> rejects,
            Dataset<Row> outcomeCounts,
            Dataset<Row> duplicateCounts,
            JavaRDD<Outcome> outcomes,
            List<Dataset<Row>> cached) {
        /** Frees the cached intermediate results once outputs and counts are written. */
        public void release() {
            cached.forEach(Dataset::unpersist);
            outcomes.unpersist();
        }
    }

    private IngestTransform() {}

    public static Result apply(SparkSession spark, List<SourceInputs> sources) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<JavaRDD<Outcome>> parts = new ArrayList<>();
        List<Row> minRelevance = new ArrayList<>();
        for (SourceInputs s : sources) {
            RecordValidator validator = new RecordValidator(s.source());
            s.inputs()
                    .values()
                    .forEach(rdd -> parts.add(rdd.flatMap(r -> validator.validate(r).iterator())));
            InputSpec qrels = s.source().input(InputSpec.QRELS);
            if (qrels != null) {
                minRelevance.add(
                        RowFactory.create(
                                s.source().name(), qrels.options().number("min_relevance", 1.0)));
            }
        }
        JavaRDD<Outcome> all =
                parts.isEmpty() ? jsc.emptyRDD() : jsc.union(parts.toArray(new JavaRDD[0]));
        // Many small inputs make many small partitions; every later step would pay a task each.
        int target = Math.max(1, jsc.defaultParallelism() * 2);
        JavaRDD<Outcome> outcomes = all.getNumPartitions() > target ? all.coalesce(target) : all;
        outcomes.persist(StorageLevel.MEMORY_AND_DISK());
        List<Dataset<Row>> cached = new ArrayList<>();

        Dataset<Row> outcomeCounts =
                spark.createDataFrame(
                                outcomes.map(
                                        o ->
                                                RowFactory.create(
                                                        o.source(),
                                                        o.role(),
                                                        o.read(),
                                                        o.first() ? 1L : 0L,
                                                        o.isRecord() ? 1L : 0L)),
                                OUTCOME_COUNTS)
                        .groupBy(Columns.SOURCE, RejectsTable.INPUT)
                        .agg(
                                functions.sum("read").as("read"),
                                functions.sum("records").as("records"),
                                functions.sum("outcomes").as("outcomes"));

        List<Dataset<Row>> rejects = new ArrayList<>();
        rejects.add(
                spark.createDataFrame(
                        outcomes.filter(Outcome::rejected).map(Outcome::reject),
                        IngestSchemas.REJECTS));
        List<Dataset<Row>> duplicateCounts = new ArrayList<>();
        Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
        for (String kind : IngestSchemas.KINDS) {
            if (kind.equals(InputSpec.QRELS)) {
                continue;
            }
            Resolved r =
                    resolve(
                            valid(spark, outcomes, kind),
                            keyColumns(kind),
                            contentColumns(kind),
                            cached);
            tables.put(kind, r.kept());
            rejects.add(r.conflicts());
            duplicateCounts.add(r.duplicateCounts());
        }
        Resolved qrels =
                resolve(
                        valid(spark, outcomes, InputSpec.QRELS),
                        List.of(Columns.SOURCE, RetrievalTable.QUERY_ID, CorpusTable.DOC_ID),
                        List.of(IngestSchemas.QRELS_RELEVANCE),
                        cached);
        rejects.add(qrels.conflicts());
        duplicateCounts.add(qrels.duplicateCounts());
        Pairs pairs =
                pairsFromQrels(
                        qrels.kept(),
                        tables.get(QueriesTable.NAME),
                        tables.get(CorpusTable.NAME),
                        spark.createDataFrame(minRelevance, MIN_RELEVANCE),
                        cached);
        rejects.add(pairs.rejects());
        Resolved judgedPairs =
                resolve(
                        pairs.rows(),
                        List.of(Columns.SOURCE, Columns.EXAMPLE_ID),
                        List.of(Columns.EXAMPLE_ID),
                        cached);
        duplicateCounts.add(judgedPairs.duplicateCounts());
        tables.put(
                RetrievalTable.NAME,
                tables.get(RetrievalTable.NAME).unionByName(judgedPairs.kept().drop(PAIR_ORIGIN)));
        return new Result(
                tables,
                unionAll(rejects),
                outcomeCounts,
                unionAll(duplicateCounts)
                        .groupBy(Columns.SOURCE, RejectsTable.INPUT)
                        .agg(functions.sum("duplicates").as("duplicates")),
                outcomes,
                cached);
    }

    private static Dataset<Row> valid(SparkSession spark, JavaRDD<Outcome> outcomes, String kind) {
        return spark.createDataFrame(
                outcomes.filter(o -> o.ok() && o.kind().equals(kind)).map(Outcome::row),
                IngestSchemas.withPosition(IngestSchemas.base(kind)));
    }

    private record Resolved(
            Dataset<Row> kept, Dataset<Row> conflicts, Dataset<Row> duplicateCounts) {}

    /**
     * Keeps the first record (by file and position) of each key; later records with the same
     * content are counted as duplicates, later records with other content are rejected as {@code
     * duplicate_id}. Rows carry their input role in the rejects' {@code input} column, which for
     * every kind but pairs-from-qrels is implied by the kind.
     */
    private static Resolved resolve(
            Dataset<Row> rows, List<String> keys, List<String> content, List<Dataset<Row>> cached) {
        WindowSpec byKey =
                Window.partitionBy(cols(keys))
                        .orderBy(col(IngestSchemas.FILE), col(IngestSchemas.POS));
        WindowSpec upToHere = byKey.rowsBetween(Window.unboundedPreceding(), Window.currentRow());
        Column contentStruct = struct(cols(content));
        Dataset<Row> ranked =
                rows.withColumn(RN, row_number().over(byKey))
                        .withColumn(FIRST_CONTENT, first(contentStruct).over(upToHere))
                        .withColumn(FIRST_LOC, first(col(IngestSchemas.LOC)).over(upToHere))
                        .withColumn("_input", inputOf(rows))
                        .persist(StorageLevel.MEMORY_AND_DISK());
        cached.add(ranked);
        Dataset<Row> kept = ranked.filter(col(RN).equalTo(1)).select(cols(List.of(rows.columns())));
        Column later = col(RN).gt(1);
        Column same = contentStruct.eqNullSafe(col(FIRST_CONTENT));
        Dataset<Row> duplicateCounts =
                ranked.filter(later.and(same))
                        .groupBy(col(Columns.SOURCE), col("_input").as(RejectsTable.INPUT))
                        .count()
                        .select(
                                col(Columns.SOURCE),
                                col(RejectsTable.INPUT),
                                col("count").as("duplicates"));
        Dataset<Row> conflicts =
                ranked.filter(later.and(functions.not(same)))
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                lit(RecordValidator.STAGE).as(RejectsTable.STAGE),
                                col("_input").as(RejectsTable.INPUT),
                                lit(RejectReason.DUPLICATE_ID.code()).as(RejectsTable.REASON),
                                col(IngestSchemas.LOC).as(RejectsTable.LOCATION),
                                concat_ws(
                                                "",
                                                lit("id '"),
                                                concat_ws(
                                                        "', '", cols(keys.subList(1, keys.size()))),
                                                lit("' was first used with other content at "),
                                                col(FIRST_LOC))
                                        .as(RejectsTable.DETAIL),
                                functions
                                        .substring(
                                                functions.to_json(contentStruct),
                                                1,
                                                RejectsTable.RAW_EXCERPT_CHARS)
                                        .as(RejectsTable.RAW),
                                col(IngestSchemas.FILE),
                                col(IngestSchemas.POS),
                                col(IngestSchemas.LOC));
        return new Resolved(kept, conflicts, duplicateCounts);
    }

    /** The input role rows of a schema come from. */
    private static Column inputOf(Dataset<Row> rows) {
        List<String> names = List.of(rows.columns());
        if (names.contains(IngestSchemas.QRELS_RELEVANCE)) {
            return lit(InputSpec.QRELS);
        }
        if (names.contains(CorpusTable.DOC_ID) && names.contains(CorpusTable.TITLE)) {
            return lit(InputSpec.CORPUS);
        }
        if (names.contains(QueriesTable.QUERY_ID) && !names.contains(RetrievalTable.POSITIVE)) {
            return lit(InputSpec.QUERIES);
        }
        if (names.contains(PAIR_ORIGIN)) {
            return col(PAIR_ORIGIN);
        }
        return lit(InputSpec.RECORDS);
    }

    /** Marks retrieval rows made from qrels, so their duplicates are counted under qrels. */
    private static final String PAIR_ORIGIN = "_origin";

    private record Pairs(Dataset<Row> rows, Dataset<Row> rejects) {}

    /**
     * Joins judgments with their queries and documents (within each source). Checks run in a fixed
     * order: the query must exist, then the document, then the relevance must reach the source's
     * {@code min_relevance}.
     */
    private static Pairs pairsFromQrels(
            Dataset<Row> qrels,
            Dataset<Row> queries,
            Dataset<Row> corpus,
            Dataset<Row> minRelevance,
            List<Dataset<Row>> cached) {
        Dataset<Row> q =
                queries.select(
                        col(Columns.SOURCE).as("_q_source"),
                        col(QueriesTable.QUERY_ID).as("_q_id"),
                        col(QueriesTable.TEXT).as(RetrievalTable.QUERY));
        Dataset<Row> d =
                corpus.select(
                        col(Columns.SOURCE).as("_d_source"),
                        col(CorpusTable.DOC_ID).as("_d_id"),
                        concat_ws(" ", col(CorpusTable.TITLE), col(CorpusTable.TEXT))
                                .as(RetrievalTable.POSITIVE));
        Dataset<Row> joined =
                qrels.join(
                                q,
                                qrels.col(Columns.SOURCE)
                                        .equalTo(q.col("_q_source"))
                                        .and(
                                                qrels.col(RetrievalTable.QUERY_ID)
                                                        .equalTo(q.col("_q_id"))),
                                "left")
                        .join(
                                d,
                                col(Columns.SOURCE)
                                        .equalTo(d.col("_d_source"))
                                        .and(col(CorpusTable.DOC_ID).equalTo(d.col("_d_id"))),
                                "left")
                        .join(
                                functions.broadcast(minRelevance),
                                col(Columns.SOURCE).equalTo(col("_mr_source")),
                                "left");
        Column reason =
                when(col(RetrievalTable.QUERY).isNull(), lit(RejectReason.DANGLING_QUERY_ID.code()))
                        .when(
                                col(RetrievalTable.POSITIVE).isNull(),
                                lit(RejectReason.DANGLING_DOC_ID.code()))
                        .when(
                                col(IngestSchemas.QRELS_RELEVANCE).lt(col("_min_relevance")),
                                lit(RejectReason.FILTERED.code()));
        Dataset<Row> judged =
                joined.withColumn("_reason", reason).persist(StorageLevel.MEMORY_AND_DISK());
        cached.add(judged);
        Column detail =
                when(
                                col("_reason").equalTo(RejectReason.DANGLING_QUERY_ID.code()),
                                concat_ws(
                                        "",
                                        lit("query id '"),
                                        col(RetrievalTable.QUERY_ID),
                                        lit("' is not among the source's queries")))
                        .when(
                                col("_reason").equalTo(RejectReason.DANGLING_DOC_ID.code()),
                                concat_ws(
                                        "",
                                        lit("document id '"),
                                        col(CorpusTable.DOC_ID),
                                        lit(
                                                "' is not in the source's corpus (or the source ships none)")))
                        .otherwise(
                                concat_ws(
                                        "",
                                        lit("relevance "),
                                        col(IngestSchemas.QRELS_RELEVANCE).cast("string"),
                                        lit(" < min_relevance "),
                                        col("_min_relevance").cast("string")));
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
        StructType pairSchema =
                IngestSchemas.withPosition(RetrievalTable.SCHEMA)
                        .add(PAIR_ORIGIN, DataTypes.StringType, false);
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
                                (MapFunction<Row, Row>)
                                        r ->
                                                RowFactory.create(
                                                        r.getString(0),
                                                        r.getString(1),
                                                        StableIds.of(
                                                                r.getString(0),
                                                                r.getString(3),
                                                                r.getString(5)),
                                                        r.getString(2),
                                                        r.getString(3),
                                                        r.getString(4),
                                                        r.getString(5),
                                                        new String[0],
                                                        new String[0],
                                                        r.getString(6),
                                                        r.getLong(7),
                                                        r.getString(8),
                                                        InputSpec.QRELS),
                                Encoders.row(pairSchema));
        return new Pairs(rows, rejects);
    }

    private static List<String> keyColumns(String kind) {
        return switch (kind) {
            case CorpusTable.NAME -> List.of(Columns.SOURCE, CorpusTable.DOC_ID);
            case QueriesTable.NAME -> List.of(Columns.SOURCE, QueriesTable.QUERY_ID);
            default -> List.of(Columns.SOURCE, Columns.EXAMPLE_ID);
        };
    }

    private static List<String> contentColumns(String kind) {
        return switch (kind) {
            case CorpusTable.NAME -> List.of(CorpusTable.TITLE, CorpusTable.TEXT);
            case QueriesTable.NAME -> List.of(QueriesTable.TEXT);
            default -> List.of(Columns.EXAMPLE_ID);
        };
    }

    private static Column[] cols(List<String> names) {
        return names.stream().map(functions::col).toArray(Column[]::new);
    }

    private static Dataset<Row> unionAll(List<Dataset<Row>> parts) {
        Dataset<Row> out = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            out = out.unionByName(parts.get(i));
        }
        return out;
    }
}
