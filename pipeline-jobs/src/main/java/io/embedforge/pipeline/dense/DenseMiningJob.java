package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
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
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
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
import org.apache.spark.sql.types.StructField;
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
 * <p>A query is its normalised text within a source: the known positives of every example with that
 * text, whatever its query id and including examples rejected for their positive, are excluded from
 * the negatives of all of them, and the lowest of their positive scores is the one the
 * positive-aware filters compare with. (Two ids with one text are the same question; a positive of
 * one is a false negative for the other.)
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
    public static final String TASK_TYPE = NegativesTable.TASK_TYPE;

    /** Output column: normalised texts of the negatives, best rank first. */
    public static final String NEGATIVES = NegativesTable.NEGATIVES;

    /** Output column: document ids of the negatives. */
    public static final String NEGATIVE_IDS = "negative_ids";

    /** Output column: inner product of each negative with the query. */
    public static final String NEGATIVE_SCORES = NegativesTable.NEGATIVE_SCORES;

    /** Output column: 1-based rank of each negative in the query's retrieval list. */
    public static final String NEGATIVE_RANKS = NegativesTable.NEGATIVE_RANKS;

    /** Output column: which miner found the negatives ({@value #MINER}). */
    public static final String NEGATIVE_MINER = NegativesTable.NEGATIVE_MINER;

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

    /** Routing column of an embedding: the sources whose search it enters as a query. */
    private static final String QUERY_SOURCES = "query_sources";

    /** Routing column of an embedding: the sources whose search it enters as a candidate. */
    private static final String CANDIDATE_SOURCES = "candidate_sources";

    /** Routing column of an embedding: the (source, q_tid) of the queries it is a positive of. */
    private static final String POSITIVE_OF = "positive_of";

    /** A query text of a source: where the rows of one selection group meet. */
    private static final StructType QUERY_KEY =
            new StructType()
                    .add(SOURCE, DataTypes.StringType, true)
                    .add("q_tid", DataTypes.StringType, true);

    /** Column of {@link #GROUPED}: which {@link Part} a row is. */
    private static final String PART = "part";

    /** The kinds of rows that meet in the group of one query text. */
    private enum Part {
        EXAMPLE,
        QUERY_VECTOR,
        POSITIVE_VECTOR,
        HIT
    }

    /** Rows grouped by query text: each {@link Part} fills its own columns, the rest are null. */
    private static final StructType GROUPED =
            new StructType()
                    .add(SOURCE, DataTypes.StringType, true)
                    .add("q_tid", DataTypes.StringType, true)
                    .add(PART, DataTypes.IntegerType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, true)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, true)
                    .add(RetrievalTable.QUERY_ID, DataTypes.StringType, true)
                    .add(RetrievalTable.QUERY, DataTypes.StringType, true)
                    .add(RetrievalTable.POSITIVE_ID, DataTypes.StringType, true)
                    .add(RetrievalTable.POSITIVE, DataTypes.StringType, true)
                    .add("p_tid", DataTypes.StringType, true)
                    .add("valid", DataTypes.BooleanType, true)
                    .add("positive_in_corpus", DataTypes.BooleanType, true)
                    .add("vec", DataTypes.createArrayType(DataTypes.FloatType, false), true)
                    .add("rank", DataTypes.IntegerType, true)
                    .add("c_tid", DataTypes.StringType, true)
                    .add("doc_ids", DataTypes.createArrayType(DataTypes.StringType, false), true)
                    .add("text", DataTypes.StringType, true)
                    .add("score", DataTypes.DoubleType, true);

    private DenseMiningJob() {}

    /**
     * What {@link #apply} produces.
     *
     * @param examples rows of {@link #SCHEMA}
     * @param rejects rows of {@link RejectsTable#SCHEMA}
     * @param encoded embeddings encoded by this run with their routing columns, persisted; {@link
     *     #newEmbeddings} is the part {@link #run} appends to the store
     * @param selected examples with their counters (internal; feeds {@link #summary})
     * @param candidates (source, c_tid, doc_ids, text) of every candidate, persisted (internal;
     *     feeds {@link #summary})
     */
    public record Result(
            Dataset<Row> examples,
            Dataset<Row> rejects,
            Dataset<Row> encoded,
            Dataset<Row> selected,
            Dataset<Row> candidates) {
        /** Embeddings encoded by this run: rows of {@link DenseEmbedder#SCHEMA}. */
        public Dataset<Row> newEmbeddings() {
            return encoded.select(
                    DenseEmbedder.KIND, DenseEmbedder.TEXT_ID, DenseEmbedder.EMBEDDING);
        }

        /** Frees the cached intermediate datasets once outputs are written. */
        public void unpersist() {
            selected.unpersist();
            encoded.unpersist();
            candidates.unpersist();
        }
    }

    /**
     * Mines dense negatives.
     *
     * <p>After encoding, three shuffles finish the job: the blocked search, the join of its hits
     * with the candidates' texts, and one grouping by (source, query text) that brings together the
     * query's examples, its vector, its positives' vectors and its hits, where positive scores,
     * exclusions and the selection are computed. Each embedding row carries the sources that search
     * it and the queries it is a positive of, so no vector is joined back to its rows.
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
                        .withColumn("q_bad", badText(col("q_norm"), "query", maxChars))
                        .withColumn(
                                "bad",
                                coalesce(
                                        col("q_bad"), badText(col("p_norm"), "positive", maxChars)))
                        .withColumn("q_tid", when(col("q_bad").isNull(), tid.apply(col("q_norm"))));
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
        Dataset<Row> valid = ex.filter(col("bad").isNull());

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

        // Example rows of each query text: every example whose query is usable, including those
        // rejected for their positive (whose positive is still excluded), with whether the
        // positive is in the source's corpus (always, for a source mined over its positives).
        Dataset<Row> corpusIds =
                corpus.select(col(SOURCE), col(CorpusTable.DOC_ID).as(RetrievalTable.POSITIVE_ID))
                        .distinct()
                        .withColumn("in_corpus", lit(true));
        Dataset<Row> exampleRows =
                ex.filter(col("q_tid").isNotNull())
                        .join(corpusIds, new String[] {SOURCE, RetrievalTable.POSITIVE_ID}, "left")
                        .join(
                                broadcast(corpusSources.withColumn("has_corpus", lit(true))),
                                new String[] {SOURCE},
                                "left")
                        .select(
                                col(SOURCE),
                                col("q_tid"),
                                col(Columns.SPLIT),
                                col(Columns.EXAMPLE_ID),
                                col(RetrievalTable.QUERY_ID),
                                col(RetrievalTable.QUERY),
                                col(RetrievalTable.POSITIVE_ID),
                                col(RetrievalTable.POSITIVE),
                                col("p_tid"),
                                col("bad").isNull().as("valid"),
                                coalesce(col("in_corpus"), col("has_corpus").isNull())
                                        .as("positive_in_corpus"));

        // Texts to embed, once per (kind, text id), with where each vector goes: the sources
        // whose search it enters as a query or as a candidate, and the queries it is a positive
        // of.
        Dataset<Row> needed =
                valid.select(
                                lit(DenseEmbedder.QUERY).as(DenseEmbedder.KIND),
                                col("q_tid").as(DenseEmbedder.TEXT_ID),
                                col("q_norm").as(DenseEmbedder.TEXT),
                                col(SOURCE).as("query_source"),
                                lit(null).cast(DataTypes.StringType).as("candidate_source"),
                                lit(null).cast(QUERY_KEY).as("positive_of"))
                        .unionByName(
                                valid.select(
                                        lit(DenseEmbedder.PASSAGE).as(DenseEmbedder.KIND),
                                        col("p_tid").as(DenseEmbedder.TEXT_ID),
                                        col("p_norm").as(DenseEmbedder.TEXT),
                                        lit(null).cast(DataTypes.StringType).as("query_source"),
                                        lit(null).cast(DataTypes.StringType).as("candidate_source"),
                                        struct(col(SOURCE), col("q_tid")).as("positive_of")))
                        .unionByName(
                                candidates.select(
                                        lit(DenseEmbedder.PASSAGE).as(DenseEmbedder.KIND),
                                        col("c_tid").as(DenseEmbedder.TEXT_ID),
                                        col("text").as(DenseEmbedder.TEXT),
                                        lit(null).cast(DataTypes.StringType).as("query_source"),
                                        col(SOURCE).as("candidate_source"),
                                        lit(null).cast(QUERY_KEY).as("positive_of")))
                        .groupBy(DenseEmbedder.KIND, DenseEmbedder.TEXT_ID)
                        .agg(
                                first(col(DenseEmbedder.TEXT)).as(DenseEmbedder.TEXT),
                                collect_set(col("query_source")).as(QUERY_SOURCES),
                                collect_set(col("candidate_source")).as(CANDIDATE_SOURCES),
                                collect_set(col("positive_of")).as(POSITIVE_OF));

        // Embeddings: reuse stored ones, encode the rest once, persist.
        String[] key = {DenseEmbedder.KIND, DenseEmbedder.TEXT_ID};
        Dataset<Row> toEncode = needed;
        Dataset<Row> reused = null;
        if (storedEmbeddings != null) {
            Dataset<Row> stored =
                    storedEmbeddings
                            .select(
                                    DenseEmbedder.KIND,
                                    DenseEmbedder.TEXT_ID,
                                    DenseEmbedder.EMBEDDING)
                            .dropDuplicates(key);
            toEncode = needed.join(stored, key, "left_anti");
            reused =
                    needed.join(stored, key)
                            .select(
                                    DenseEmbedder.KIND,
                                    DenseEmbedder.TEXT_ID,
                                    DenseEmbedder.EMBEDDING,
                                    QUERY_SOURCES,
                                    CANDIDATE_SOURCES,
                                    POSITIVE_OF);
        }
        Dataset<Row> fresh =
                DenseEmbedder.encode(toEncode, p.encoder(), p.encodeChunk())
                        .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> emb = reused == null ? fresh : fresh.unionByName(reused);
        Dataset<Row> queryVectors = searchRows(emb, DenseEmbedder.QUERY, QUERY_SOURCES);
        Dataset<Row> candidateVectors = searchRows(emb, DenseEmbedder.PASSAGE, CANDIDATE_SOURCES);
        Dataset<Row> positiveVectors =
                emb.filter(col(DenseEmbedder.KIND).equalTo(DenseEmbedder.PASSAGE))
                        .select(
                                explode(col(POSITIVE_OF)).as("of"),
                                col(DenseEmbedder.TEXT_ID).as("p_tid"),
                                col(DenseEmbedder.EMBEDDING).as("vec"))
                        .select(
                                col("of.source").as(SOURCE),
                                col("of.q_tid"),
                                col("p_tid"),
                                col("vec"));

        // Search: top range_max candidates per distinct query text of each source, with texts.
        Dataset<Row> hits =
                BlockedSearch.search(
                        queryVectors,
                        candidateVectors,
                        p.rangeMax(),
                        p.queryBlock(),
                        p.corpusBlock(),
                        p.scoringThreads());
        Dataset<Row> hitRows =
                hits.select(
                                col(SOURCE),
                                col(BlockedSearch.ID).as("q_tid"),
                                posexplode(col(BlockedSearch.HITS)))
                        .select(
                                col(SOURCE),
                                col("q_tid"),
                                col("pos").plus(1).as("rank"),
                                col("col.id").as("c_tid"),
                                col("col.score").cast(DataTypes.DoubleType).as("score"))
                        .join(candidates, new String[] {SOURCE, "c_tid"});

        // One grouping per query text: examples, query vector, positive vectors, hits.
        Dataset<Row> grouped =
                part(exampleRows, Part.EXAMPLE)
                        .unionByName(
                                part(
                                        queryVectors.select(
                                                col(SOURCE),
                                                col(BlockedSearch.ID).as("q_tid"),
                                                col(BlockedSearch.VEC).as("vec")),
                                        Part.QUERY_VECTOR))
                        .unionByName(part(positiveVectors, Part.POSITIVE_VECTOR))
                        .unionByName(part(hitRows, Part.HIT));
        Dataset<Row> selected =
                grouped.groupByKey(new QueryTextKey(), Encoders.STRING())
                        .flatMapGroups(new SelectForQueryText(p), Encoders.row(SELECTED))
                        .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> examples =
                selected.select(
                        Arrays.stream(SCHEMA.fieldNames()).map(c -> col(c)).toArray(Column[]::new));
        Dataset<Row> rejects = exRejects.unionByName(cpRejects);
        return new Result(examples, rejects, fresh, selected, candidates);
    }

    /** The (source, id, vec) rows of one kind of embedding, once per source in its routing. */
    private static Dataset<Row> searchRows(Dataset<Row> emb, String kind, String sources) {
        return emb.filter(col(DenseEmbedder.KIND).equalTo(kind))
                .select(
                        explode(col(sources)).as(SOURCE),
                        col(DenseEmbedder.TEXT_ID).as(BlockedSearch.ID),
                        col(DenseEmbedder.EMBEDDING).as(BlockedSearch.VEC));
    }

    /** Pads rows to {@link #GROUPED} with typed nulls and tags them with their part. */
    private static Dataset<Row> part(Dataset<Row> rows, Part part) {
        Set<String> present = Set.of(rows.columns());
        List<Column> columns = new ArrayList<>();
        for (StructField f : GROUPED.fields()) {
            if (f.name().equals(PART)) {
                columns.add(lit(part.ordinal()).as(PART));
            } else if (present.contains(f.name())) {
                columns.add(col(f.name()));
            } else {
                columns.add(lit(null).cast(f.dataType()).as(f.name()));
            }
        }
        return rows.select(columns.toArray(new Column[0]));
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

    /** The group key of a {@link #GROUPED} row: its source and query text id. */
    private static final class QueryTextKey implements MapFunction<Row, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String call(Row row) {
            return row.getString(0) + '\u0000' + row.getString(1);
        }
    }

    /**
     * Selects the negatives of every example of one query text from the rows of its group: the
     * examples (valid or rejected for their positive), the query's vector, its positives' vectors
     * and its hits. Every positive of the query text and its lowest positive score count for all of
     * its examples, whatever their query ids. Runs on executors.
     */
    private static final class SelectForQueryText
            implements FlatMapGroupsFunction<String, Row, Row> {
        private static final long serialVersionUID = 1L;
        private static final int PART_INDEX = GROUPED.fieldIndex(PART);
        private static final int VEC = GROUPED.fieldIndex("vec");
        private final NegativeSelector selector;

        SelectForQueryText(DenseParams params) {
            this.selector = new NegativeSelector(params);
        }

        @Override
        public Iterator<Row> call(String key, Iterator<Row> rows) {
            List<Row> examples = new ArrayList<>();
            float[] queryVector = null;
            Map<String, float[]> positiveVectors = new HashMap<>();
            List<NegativeSelector.Candidate> hits = new ArrayList<>();
            for (Row row : (Iterable<Row>) () -> rows) {
                switch (Part.values()[row.getInt(PART_INDEX)]) {
                    case EXAMPLE -> examples.add(row);
                    case QUERY_VECTOR -> queryVector = floats(row.getList(VEC));
                    case POSITIVE_VECTOR ->
                            positiveVectors.put(row.getAs("p_tid"), floats(row.getList(VEC)));
                    case HIT ->
                            hits.add(
                                    new NegativeSelector.Candidate(
                                            row.getAs("c_tid"),
                                            row.getList(row.fieldIndex("doc_ids")),
                                            row.getAs("text"),
                                            row.getDouble(row.fieldIndex("score")),
                                            row.getInt(row.fieldIndex("rank"))));
                }
            }
            Set<String> positiveIds = new HashSet<>();
            Set<String> positiveTextIds = new HashSet<>();
            Map<String, Double> positiveScores = new HashMap<>();
            double minPositive = Double.POSITIVE_INFINITY;
            for (Row e : examples) {
                positiveIds.add(e.getAs(RetrievalTable.POSITIVE_ID));
                positiveTextIds.add(e.getAs("p_tid"));
                if (e.<Boolean>getAs("valid")) {
                    double s = dot(queryVector, positiveVectors.get(e.<String>getAs("p_tid")), e);
                    positiveScores.put(e.getAs(Columns.EXAMPLE_ID), s);
                    minPositive = Math.min(minPositive, s);
                }
            }
            List<Row> out = new ArrayList<>(positiveScores.size());
            for (Row e : examples) {
                if (e.<Boolean>getAs("valid")) {
                    out.add(
                            select(
                                    e,
                                    hits,
                                    positiveIds,
                                    positiveTextIds,
                                    minPositive,
                                    positiveScores.get(e.<String>getAs(Columns.EXAMPLE_ID))));
                }
            }
            return out.iterator();
        }

        private Row select(
                Row e,
                List<NegativeSelector.Candidate> hits,
                Set<String> positiveIds,
                Set<String> positiveTextIds,
                double minPositive,
                double positiveScore) {
            NegativeSelector.Query q =
                    new NegativeSelector.Query(
                            e.getAs(Columns.EXAMPLE_ID),
                            e.getAs(RetrievalTable.QUERY_ID),
                            e.getAs("q_tid"),
                            positiveIds,
                            positiveTextIds,
                            minPositive);
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
            values[i++] = e.getAs(SOURCE);
            values[i++] = e.getAs(Columns.SPLIT);
            values[i++] = e.getAs(Columns.EXAMPLE_ID);
            values[i++] = "retrieval";
            values[i++] = e.getAs(RetrievalTable.QUERY);
            values[i++] = e.getAs(RetrievalTable.POSITIVE);
            values[i++] = CollectionConverters.asScala(texts);
            values[i++] = CollectionConverters.asScala(ids);
            values[i++] = CollectionConverters.asScala(scores);
            values[i++] = CollectionConverters.asScala(ranks);
            values[i++] = MINER;
            values[i++] = positiveScore;
            values[i++] = e.getAs(RetrievalTable.QUERY_ID);
            values[i++] = e.getAs("positive_in_corpus");
            for (long removed : sel.removed()) {
                values[i++] = removed;
            }
            return RowFactory.create(values);
        }

        /** Query · positive in double; fails naming the example if a vector never arrived. */
        private static double dot(float[] q, float[] d, Row example) {
            if (q == null || d == null) {
                throw new IllegalStateException(
                        "no "
                                + (q == null ? "query" : "positive")
                                + " embedding reached example "
                                + example.getAs(Columns.EXAMPLE_ID)
                                + " of source "
                                + example.getAs(SOURCE));
            }
            double s = 0;
            for (int i = 0; i < q.length; i++) {
                s += (double) q[i] * d[i];
            }
            return s;
        }

        private static float[] floats(List<Float> list) {
            float[] f = new float[list.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = list.get(i);
            }
            return f;
        }
    }
}
