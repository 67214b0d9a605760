package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.CorpusTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The {@code mine-dense} stage: hard negatives for every retrieval example, mined with a text
 * encoder, exact blocked inner-product search and positive-aware filters (NV-Retriever; NV-Embed
 * mines its retrieval negatives this way).
 *
 * <p>Per source, the candidate corpus is the source's corpus rows ({@code title + " " + text},
 * normalised) or, when the source ships no corpus, the distinct pool of its positives. Candidates
 * with identical normalised text are one candidate (reported under their smallest doc id), so no
 * example gets the same text twice. Queries, candidates and positives are encoded on executors
 * ({@link DenseEmbedder}); {@link BlockedSearch} finds each query's top {@code range_max}; {@link
 * NegativeSelector} filters and samples.
 *
 * <p>{@link #apply} is the pure transformation tests call; {@link #run} reads {@code
 * inputRoot/retrieval} and {@code inputRoot/corpus} and writes {@code outputRoot/dense/{examples,
 * rejects,embeddings}} plus {@code summary.json}. Both are planned on the driver; all heavy work
 * runs on executors and only per-source counters come back to the driver.
 */
public final class DenseMiningJob {
    /** Stage name in rejects and logs. */
    public static final String STAGE = "mine-dense";

    /** Folder of the stage's outputs under the output root. */
    public static final String STAGE_DIR = "dense";

    /** Value of {@link #NEGATIVE_MINER}. */
    public static final String MINER = "dense";

    /** Output column: always {@code retrieval}. */
    public static final String TASK_TYPE = "task_type";

    /** Output column: normalised texts of the negatives, best rank first. */
    public static final String NEGATIVES = "negatives";

    /** Output column: document ids of the negatives. */
    public static final String NEGATIVE_IDS = "negative_ids";

    /** Output column: inner product of each negative with the query. */
    public static final String NEGATIVE_SCORES = "negative_scores";

    /** Output column: 1-based rank of each negative in the query's retrieval list. */
    public static final String NEGATIVE_RANKS = "negative_ranks";

    /** Output column: which miner found the negatives ({@value #MINER}). */
    public static final String NEGATIVE_MINER = "negative_miner";

    /** Output column: inner product of the example's positive with its query. */
    public static final String POSITIVE_SCORE = "positive_score";

    /** Output schema of {@code dense/examples}: one row per retrieval example. */
    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(TASK_TYPE, DataTypes.StringType, false)
                    .add(RetrievalTable.QUERY, DataTypes.StringType, false)
                    .add(RetrievalTable.POSITIVE, DataTypes.StringType, false)
                    .add(NEGATIVES, DataTypes.createArrayType(DataTypes.StringType, false), false)
                    .add(
                            NEGATIVE_IDS,
                            DataTypes.createArrayType(DataTypes.StringType, false),
                            false)
                    .add(
                            NEGATIVE_SCORES,
                            DataTypes.createArrayType(DataTypes.DoubleType, false),
                            false)
                    .add(
                            NEGATIVE_RANKS,
                            DataTypes.createArrayType(DataTypes.IntegerType, false),
                            false)
                    .add(NEGATIVE_MINER, DataTypes.StringType, false)
                    .add(POSITIVE_SCORE, DataTypes.DoubleType, false);

    /** Reject reasons of this stage. */
    public static final String EMPTY_TEXT = "empty_text";

    /** Reject reason: longer than {@code mining.max_text_chars}. */
    public static final String TEXT_TOO_LONG = "text_too_long";

    private static final String SOURCE = Columns.SOURCE;

    /** Selection output: the output schema plus per-example counters for the summary. */
    private static final StructType SELECTED;

    static {
        StructType s = SCHEMA.add("query_id", DataTypes.StringType, false);
        s = s.add("positive_in_corpus", DataTypes.BooleanType, false);
        for (NegativeSelector.Filter f : NegativeSelector.Filter.values()) {
            s = s.add(f.code(), DataTypes.LongType, false);
        }
        SELECTED = s;
    }

    private DenseMiningJob() {}

    /**
     * What {@link #apply} produces.
     *
     * @param examples rows of {@link #SCHEMA}
     * @param rejects rows of {@link RejectsTable#SCHEMA}
     * @param newEmbeddings embeddings encoded by this run (kind, text_id, embedding), persisted;
     *     {@link #run} appends them to the store
     * @param selected examples with their counters (internal; feeds {@link #summary})
     * @param candidates (source, c_tid, doc_ids, text) of every candidate, persisted (internal;
     *     feeds {@link #summary})
     */
    public record Result(
            Dataset<Row> examples,
            Dataset<Row> rejects,
            Dataset<Row> newEmbeddings,
            Dataset<Row> selected,
            Dataset<Row> candidates) {
        /** Frees the cached intermediate datasets once outputs are written. */
        public void unpersist() {
            selected.unpersist();
            newEmbeddings.unpersist();
            candidates.unpersist();
        }
    }

    /**
     * Mines dense negatives.
     *
     * @param retrieval rows of {@link RetrievalTable#SCHEMA}
     * @param corpus rows of {@link CorpusTable#SCHEMA} (may be empty)
     * @param p the stage settings
     * @param storedEmbeddings earlier embeddings of the same encoder fingerprint (kind, text_id,
     *     embedding), or null; texts found there are not encoded again
     */
    public static Result apply(
            Dataset<Row> retrieval,
            Dataset<Row> corpus,
            DenseParams p,
            Dataset<Row> storedEmbeddings) {
        UserDefinedFunction norm =
                udf((String t) -> TextNormalizer.normalize(t), DataTypes.StringType);
        UserDefinedFunction tid = udf((String t) -> StableIds.of(t), DataTypes.StringType);
        int maxChars = p.maxTextChars();

        // Examples: normalise, reject empty or over-long query/positive texts.
        Dataset<Row> ex =
                retrieval
                        .select(
                                col(SOURCE),
                                col(Columns.SPLIT),
                                col(Columns.EXAMPLE_ID),
                                col(RetrievalTable.QUERY_ID),
                                col(RetrievalTable.QUERY),
                                col(RetrievalTable.POSITIVE_ID),
                                col(RetrievalTable.POSITIVE))
                        .withColumn("q_norm", norm.apply(col(RetrievalTable.QUERY)))
                        .withColumn("p_norm", norm.apply(col(RetrievalTable.POSITIVE)))
                        .withColumn("p_tid", tid.apply(col("p_norm")))
                        .withColumn(
                                "bad",
                                badText(col("q_norm"), "query", maxChars)
                                        .otherwise(badText(col("p_norm"), "positive", maxChars)));
        Dataset<Row> exRejects =
                ex.filter(col("bad").isNotNull())
                        .select(
                                col(SOURCE),
                                col(Columns.SPLIT),
                                lit(STAGE).as(RejectsTable.STAGE),
                                lit(RetrievalTable.NAME).as(RejectsTable.INPUT),
                                col("bad.reason").as(RejectsTable.REASON),
                                concat(lit("example_id="), col(Columns.EXAMPLE_ID))
                                        .as(RejectsTable.LOCATION),
                                col("bad.detail").as(RejectsTable.DETAIL),
                                substring(
                                                concat_ws(
                                                        " | ",
                                                        col(RetrievalTable.QUERY),
                                                        col(RetrievalTable.POSITIVE)),
                                                1,
                                                RejectsTable.RAW_EXCERPT_CHARS)
                                        .as(RejectsTable.RAW));
        Dataset<Row> valid =
                ex.filter(col("bad").isNull()).withColumn("q_tid", tid.apply(col("q_norm")));

        // Every positive of a query is excluded, including those of rejected examples.
        Dataset<Row> exclusions =
                ex.groupBy(SOURCE, RetrievalTable.QUERY_ID)
                        .agg(
                                collect_set(col(RetrievalTable.POSITIVE_ID)).as("pos_ids"),
                                collect_set(col("p_tid")).as("pos_tids"));

        // Candidates: corpus rows, or the positives' pool for sources without a corpus.
        Dataset<Row> cp =
                corpus.select(
                                col(SOURCE),
                                col(Columns.SPLIT),
                                col(CorpusTable.DOC_ID),
                                col(CorpusTable.TEXT).as("raw"),
                                norm.apply(
                                                concat_ws(
                                                        " ",
                                                        col(CorpusTable.TITLE),
                                                        col(CorpusTable.TEXT)))
                                        .as("text"))
                        .withColumn("bad", badText(col("text"), "text", maxChars));
        Dataset<Row> cpRejects =
                cp.filter(col("bad").isNotNull())
                        .select(
                                col(SOURCE),
                                col(Columns.SPLIT),
                                lit(STAGE).as(RejectsTable.STAGE),
                                lit(CorpusTable.NAME).as(RejectsTable.INPUT),
                                col("bad.reason").as(RejectsTable.REASON),
                                concat(lit("doc_id="), col(CorpusTable.DOC_ID))
                                        .as(RejectsTable.LOCATION),
                                col("bad.detail").as(RejectsTable.DETAIL),
                                substring(col("raw"), 1, RejectsTable.RAW_EXCERPT_CHARS)
                                        .as(RejectsTable.RAW));
        Dataset<Row> corpusSources = corpus.select(SOURCE).distinct();
        Dataset<Row> pool =
                valid.select(
                                col(SOURCE),
                                col(RetrievalTable.POSITIVE_ID).as(CorpusTable.DOC_ID),
                                col("p_norm").as("text"))
                        .join(corpusSources, new String[] {SOURCE}, "left_anti");
        Dataset<Row> candidates =
                cp.filter(col("bad").isNull())
                        .select(SOURCE, CorpusTable.DOC_ID, "text")
                        .unionByName(pool)
                        .withColumn("c_tid", tid.apply(col("text")))
                        .groupBy(SOURCE, "c_tid")
                        .agg(
                                array_sort(collect_set(col(CorpusTable.DOC_ID))).as("doc_ids"),
                                first(col("text")).as("text"))
                        .persist(StorageLevel.MEMORY_AND_DISK());

        // Embeddings: reuse stored ones, encode the rest once, persist.
        Dataset<Row> needed =
                valid.select(
                                lit(DenseEmbedder.QUERY).as(DenseEmbedder.KIND),
                                col("q_tid").as(DenseEmbedder.TEXT_ID),
                                col("q_norm").as(DenseEmbedder.TEXT))
                        .unionByName(
                                valid.select(
                                        lit(DenseEmbedder.PASSAGE).as(DenseEmbedder.KIND),
                                        col("p_tid").as(DenseEmbedder.TEXT_ID),
                                        col("p_norm").as(DenseEmbedder.TEXT)))
                        .unionByName(
                                candidates.select(
                                        lit(DenseEmbedder.PASSAGE).as(DenseEmbedder.KIND),
                                        col("c_tid").as(DenseEmbedder.TEXT_ID),
                                        col("text").as(DenseEmbedder.TEXT)))
                        .dropDuplicates(DenseEmbedder.KIND, DenseEmbedder.TEXT_ID);
        String[] key = {DenseEmbedder.KIND, DenseEmbedder.TEXT_ID};
        Dataset<Row> reused = null;
        Dataset<Row> toEncode = needed;
        if (storedEmbeddings != null) {
            Dataset<Row> stored =
                    storedEmbeddings.select(
                            DenseEmbedder.KIND, DenseEmbedder.TEXT_ID, DenseEmbedder.EMBEDDING);
            toEncode = needed.join(stored, key, "left_anti");
            reused =
                    stored.join(
                            needed.select(DenseEmbedder.KIND, DenseEmbedder.TEXT_ID),
                            key,
                            "left_semi");
        }
        Dataset<Row> fresh =
                DenseEmbedder.encode(toEncode, p.encoder(), p.encodeChunk())
                        .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> emb = reused == null ? fresh : fresh.unionByName(reused);
        Dataset<Row> qEmb =
                emb.filter(col(DenseEmbedder.KIND).equalTo(DenseEmbedder.QUERY))
                        .select(
                                col(DenseEmbedder.TEXT_ID).as("id"),
                                col(DenseEmbedder.EMBEDDING).as("vec"));
        Dataset<Row> pEmb =
                emb.filter(col(DenseEmbedder.KIND).equalTo(DenseEmbedder.PASSAGE))
                        .select(
                                col(DenseEmbedder.TEXT_ID).as("id"),
                                col(DenseEmbedder.EMBEDDING).as("vec"));

        // Search: top range_max candidates per distinct query text of each source.
        Dataset<Row> searchQueries =
                valid.select(col(SOURCE), col("q_tid").as("id")).distinct().join(qEmb, "id");
        Dataset<Row> searchCandidates =
                candidates.select(col(SOURCE), col("c_tid").as("id")).join(pEmb, "id");
        Dataset<Row> hits =
                BlockedSearch.search(
                        searchQueries,
                        searchCandidates,
                        p.rangeMax(),
                        p.queryBlock(),
                        p.corpusBlock(),
                        p.scoringThreads());
        Dataset<Row> rankedHits =
                hits.select(col(SOURCE), col("id").as("q_tid"), posexplode(col("hits")))
                        .select(
                                col(SOURCE),
                                col("q_tid"),
                                col("pos").plus(1).as("rank"),
                                col("col.id").as("c_tid"),
                                col("col.score").cast(DataTypes.DoubleType).as("score"))
                        .join(candidates, new String[] {SOURCE, "c_tid"})
                        .groupBy(SOURCE, "q_tid")
                        .agg(
                                collect_list(
                                                struct(
                                                        col("c_tid"),
                                                        col("doc_ids"),
                                                        col("text"),
                                                        col("score"),
                                                        col("rank")))
                                        .as("cands"));

        // Positive scores and the lowest positive score of each query.
        Dataset<Row> withVecs =
                valid.join(
                                qEmb.withColumnRenamed("id", "q_tid")
                                        .withColumnRenamed("vec", "q_vec"),
                                "q_tid")
                        .join(
                                pEmb.withColumnRenamed("id", "p_tid")
                                        .withColumnRenamed("vec", "p_vec"),
                                "p_tid");
        StructType scoredSchema =
                withVecs.drop("q_vec", "p_vec", "bad")
                        .schema()
                        .add(POSITIVE_SCORE, DataTypes.DoubleType, false);
        Dataset<Row> scored =
                withVecs.drop("bad")
                        .map(new PositiveScore(scoredSchema), Encoders.row(scoredSchema));
        Dataset<Row> minPos =
                scored.groupBy(SOURCE, RetrievalTable.QUERY_ID)
                        .agg(min(col(POSITIVE_SCORE)).as("min_pos"));
        Dataset<Row> corpusIds =
                corpus.select(col(SOURCE), col(CorpusTable.DOC_ID).as(RetrievalTable.POSITIVE_ID))
                        .distinct()
                        .withColumn("in_corpus", lit(true));

        Dataset<Row> joined =
                scored.join(minPos, new String[] {SOURCE, RetrievalTable.QUERY_ID})
                        .join(exclusions, new String[] {SOURCE, RetrievalTable.QUERY_ID})
                        .join(rankedHits, new String[] {SOURCE, "q_tid"}, "left")
                        .join(corpusIds, new String[] {SOURCE, RetrievalTable.POSITIVE_ID}, "left")
                        .join(
                                corpusSources.withColumn("has_corpus", lit(true)),
                                new String[] {SOURCE},
                                "left")
                        .withColumn(
                                "positive_in_corpus",
                                coalesce(col("in_corpus"), col("has_corpus").isNull()));
        Dataset<Row> selected =
                joined.map(new Select(p), Encoders.row(SELECTED))
                        .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> examples =
                selected.select(
                        java.util.Arrays.stream(SCHEMA.fieldNames())
                                .map(org.apache.spark.sql.functions::col)
                                .toArray(Column[]::new));
        Dataset<Row> rejects = exRejects.unionByName(cpRejects);
        return new Result(examples, rejects, fresh, selected, candidates);
    }

    /** A when-chain giving struct(reason, detail) for an empty or over-long text, else null. */
    private static Column badText(Column text, String what, int maxChars) {
        Column detailEmpty = lit(what + " is empty after normalisation");
        Column detailLong =
                concat(
                        lit(what + " has "),
                        length(text).cast(DataTypes.StringType),
                        lit(" characters > mining.max_text_chars=" + maxChars));
        return when(
                        text.isNull().or(length(text).equalTo(0)),
                        struct(lit(EMPTY_TEXT).as("reason"), detailEmpty.as("detail")))
                .when(
                        length(text).gt(maxChars),
                        struct(lit(TEXT_TOO_LONG).as("reason"), detailLong.as("detail")));
    }

    /**
     * Per-source counters of a result: examples, queries, candidates, removals per filter, queries
     * short of negatives, rejects per reason. Runs small aggregations; only the counters reach the
     * driver.
     */
    public static Map<String, Map<String, Object>> summary(Result r, DenseParams p) {
        Column n = functionsSize(col(NEGATIVES));
        Map<String, Column> counters = new LinkedHashMap<>();
        counters.put("examples", count(lit(1)));
        counters.put("queries", countDistinct(col(RetrievalTable.QUERY_ID)));
        for (NegativeSelector.Filter f : NegativeSelector.Filter.values()) {
            counters.put(f.code(), sum(col(f.code())));
        }
        counters.put("fewer_than_requested", sum(when(n.lt(p.negatives()), 1).otherwise(0)));
        counters.put("without_negatives", sum(when(n.equalTo(0), 1).otherwise(0)));
        counters.put(
                "positives_missing_from_corpus",
                sum(when(col("positive_in_corpus"), 0).otherwise(1)));
        counters.put("mean_negatives", avg(n));
        counters.put("mean_positive_score", avg(col(POSITIVE_SCORE)));
        List<Column> aggs = new ArrayList<>();
        List<Column> pairs = new ArrayList<>();
        for (Map.Entry<String, Column> e : counters.entrySet()) {
            aggs.add(e.getValue().cast(DataTypes.DoubleType).as(e.getKey()));
            pairs.add(struct(lit(e.getKey()).as("key"), col(e.getKey()).as("value")));
        }
        // One action for every counter: the three aggregations are unioned in long format.
        Dataset<Row> fromSelected =
                r.selected()
                        .groupBy(SOURCE)
                        .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]))
                        .select(col(SOURCE), explode(array(pairs.toArray(new Column[0]))).as("kv"))
                        .select(col(SOURCE), col("kv.key").as("key"), col("kv.value").as("value"));
        Dataset<Row> fromCandidates =
                r.candidates()
                        .groupBy(SOURCE)
                        .agg(count(lit(1)).cast(DataTypes.DoubleType).as("value"))
                        .select(col(SOURCE), lit("candidates").as("key"), col("value"));
        Dataset<Row> fromRejects =
                r.rejects()
                        .groupBy(SOURCE, RejectsTable.INPUT, RejectsTable.REASON)
                        .agg(count(lit(1)).cast(DataTypes.DoubleType).as("value"))
                        .select(
                                col(SOURCE),
                                concat(
                                                lit("rejected_"),
                                                col(RejectsTable.INPUT),
                                                lit("_"),
                                                col(RejectsTable.REASON))
                                        .as("key"),
                                col("value"));
        Map<String, Map<String, Object>> out = new TreeMap<>();
        for (Row row :
                fromSelected.unionByName(fromCandidates).unionByName(fromRejects).collectAsList()) {
            Map<String, Object> m =
                    out.computeIfAbsent(row.getString(0), s -> new LinkedHashMap<>());
            String key = row.getString(1);
            double value = row.isNullAt(2) ? 0.0 : row.getDouble(2);
            m.put(key, key.startsWith("mean_") ? (Object) value : (Object) Math.round(value));
        }
        for (Map<String, Object> m : out.values()) {
            long candidates = ((Number) m.getOrDefault("candidates", 0L)).longValue();
            m.put("corpus_smaller_than_range_max", candidates < p.rangeMax());
            m.put("requested_negatives", p.negatives());
        }
        return out;
    }

    private static Column functionsSize(Column c) {
        return org.apache.spark.sql.functions.size(c);
    }

    /**
     * Reads {@code inputRoot/retrieval} and {@code inputRoot/corpus} (absent corpus = none), mines,
     * and writes {@code outputRoot/dense/examples}, {@code rejects}, {@code embeddings} (appending
     * newly encoded texts under {@code fingerprint=<encoder fingerprint>}) and {@code
     * summary.json}. Runs on the driver.
     *
     * @return the per-source summary
     */
    public static Map<String, Map<String, Object>> run(
            SparkSession spark, String inputRoot, String outputRoot, DenseParams p) {
        return run(spark, inputRoot, inputRoot, outputRoot, p);
    }

    /**
     * As {@link #run(SparkSession, String, String, DenseParams)} with the retrieval table read
     * under {@code retrievalRoot} (e.g. the decontaminated tables) and the corpus under {@code
     * corpusRoot} (the ingested tables: decontamination does not rewrite the corpus).
     */
    public static Map<String, Map<String, Object>> run(
            SparkSession spark,
            String retrievalRoot,
            String corpusRoot,
            String outputRoot,
            DenseParams p) {
        Dataset<Row> retrieval = spark.read().parquet(retrievalRoot + "/" + RetrievalTable.NAME);
        String corpusPath = corpusRoot + "/" + CorpusTable.NAME;
        Dataset<Row> corpus =
                exists(spark, corpusPath)
                        ? spark.read().parquet(corpusPath)
                        : spark.createDataFrame(List.of(), CorpusTable.SCHEMA);
        String out = outputRoot + "/" + STAGE_DIR;
        String store = out + "/embeddings";
        String fingerprint = p.encoder().fingerprint();
        Dataset<Row> stored = null;
        if (exists(spark, store + "/" + DenseEmbedder.FINGERPRINT + "=" + fingerprint)) {
            stored =
                    spark.read()
                            .parquet(store)
                            .filter(col(DenseEmbedder.FINGERPRINT).equalTo(fingerprint));
        }
        Result r = apply(retrieval, corpus, p, stored);
        r.newEmbeddings()
                .withColumn(DenseEmbedder.FINGERPRINT, lit(fingerprint))
                .write()
                .mode(SaveMode.Append)
                .partitionBy(DenseEmbedder.FINGERPRINT)
                .parquet(store);
        r.examples().write().mode(SaveMode.Overwrite).parquet(out + "/examples");
        r.rejects().write().mode(SaveMode.Overwrite).parquet(out + "/" + RejectsTable.NAME);
        Map<String, Map<String, Object>> summary = summary(r, p);
        writeSummary(spark, out + "/summary.json", summary, p, fingerprint);
        r.unpersist();
        return summary;
    }

    private static boolean exists(SparkSession spark, String path) {
        try {
            org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(path);
            FileSystem fs = hp.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(hp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path, e);
        }
    }

    private static void writeSummary(
            SparkSession spark,
            String path,
            Map<String, Map<String, Object>> summary,
            DenseParams p,
            String fingerprint) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("stage", STAGE);
        doc.put("params", p);
        doc.put("encoder_fingerprint", fingerprint);
        doc.put("spark_version", spark.version());
        doc.put("sources", summary);
        try {
            String json =
                    new com.fasterxml.jackson.databind.ObjectMapper()
                            .writerWithDefaultPrettyPrinter()
                            .writeValueAsString(doc);
            org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(path);
            FileSystem fs = hp.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (var os = fs.create(hp, true)) {
                os.write(json.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /** Adds the positive score (query · positive) to an example row; runs on executors. */
    private static final class PositiveScore implements MapFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final StructType outSchema;

        PositiveScore(StructType outSchema) {
            this.outSchema = outSchema;
        }

        @Override
        public Row call(Row row) {
            List<Float> q = row.getList(row.fieldIndex("q_vec"));
            List<Float> d = row.getList(row.fieldIndex("p_vec"));
            double s = 0;
            for (int i = 0; i < q.size(); i++) {
                s += (double) q.get(i) * d.get(i);
            }
            Object[] values = new Object[outSchema.size()];
            for (int i = 0; i < outSchema.size() - 1; i++) {
                values[i] = row.get(row.fieldIndex(outSchema.fields()[i].name()));
            }
            values[values.length - 1] = s;
            return RowFactory.create(values);
        }
    }

    /** Applies {@link NegativeSelector} to one joined example row; runs on executors. */
    private static final class Select implements MapFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final NegativeSelector selector;

        Select(DenseParams params) {
            this.selector = new NegativeSelector(params);
        }

        @Override
        public Row call(Row row) {
            List<NegativeSelector.Candidate> hits = new ArrayList<>();
            int ci = row.fieldIndex("cands");
            if (!row.isNullAt(ci)) {
                List<Row> cands = row.getList(ci);
                for (Row c : cands) {
                    hits.add(
                            new NegativeSelector.Candidate(
                                    c.getString(0),
                                    c.getList(1),
                                    c.getString(2),
                                    c.getDouble(3),
                                    c.getInt(4)));
                }
            }
            NegativeSelector.Query q =
                    new NegativeSelector.Query(
                            row.getAs(Columns.EXAMPLE_ID),
                            row.getAs(RetrievalTable.QUERY_ID),
                            row.getAs("q_tid"),
                            toSet(row.getList(row.fieldIndex("pos_ids"))),
                            toSet(row.getList(row.fieldIndex("pos_tids"))),
                            row.getDouble(row.fieldIndex("min_pos")));
            NegativeSelector.Selection sel = selector.select(q, hits);
            int n = sel.negatives().size();
            List<String> texts = new ArrayList<>(n);
            List<String> ids = new ArrayList<>(n);
            List<Double> scores = new ArrayList<>(n);
            List<Integer> ranks = new ArrayList<>(n);
            for (NegativeSelector.Candidate c : sel.negatives()) {
                texts.add(c.text());
                ids.add(c.docIds().get(0));
                scores.add(c.score());
                ranks.add(c.rank());
            }
            Object[] values = new Object[SELECTED.size()];
            int i = 0;
            values[i++] = row.getAs(SOURCE);
            values[i++] = row.getAs(Columns.SPLIT);
            values[i++] = row.getAs(Columns.EXAMPLE_ID);
            values[i++] = "retrieval";
            values[i++] = row.getAs(RetrievalTable.QUERY);
            values[i++] = row.getAs(RetrievalTable.POSITIVE);
            values[i++] = CollectionConverters.asScala(texts);
            values[i++] = CollectionConverters.asScala(ids);
            values[i++] = CollectionConverters.asScala(scores);
            values[i++] = CollectionConverters.asScala(ranks);
            values[i++] = MINER;
            values[i++] = row.getAs(POSITIVE_SCORE);
            values[i++] = row.getAs(RetrievalTable.QUERY_ID);
            values[i++] = row.getAs("positive_in_corpus");
            for (long removed : sel.removed()) {
                values[i++] = removed;
            }
            return RowFactory.create(values);
        }

        private static Set<String> toSet(List<String> list) {
            return new HashSet<>(list);
        }
    }
}
