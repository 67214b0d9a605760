package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.encoder.EmbeddedModels;
import io.embedforge.encoder.EncoderConfig;
import io.embedforge.encoder.EncoderPrecision;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.CorpusTable;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.stage.Rejects;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StageOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

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
 * DenseSelection} groups each query text with its vectors and hits, where {@link NegativeSelector}
 * filters and samples.
 *
 * <p>A query is its normalised text within a source: the known positives of every example with that
 * text, whatever its query id and including examples rejected for their positive, are excluded from
 * the negatives of all of them, and the lowest of their positive scores is the one the
 * positive-aware filters compare with. (Two ids with one text are the same question; a positive of
 * one is a false negative for the other.)
 *
 * <p>{@link #apply} is the pure transformation tests call, a list of named steps; {@link #run}
 * reads {@code decontaminate/retrieval} and {@code ingest/corpus} (decontamination does not rewrite
 * the corpus) and writes {@code examples}, {@code rejects} and the embedding store. Both are
 * planned on the driver; all heavy work runs on executors and only per-source counters come back to
 * the driver.
 */
public final class DenseMiningJob implements Stage<DenseParams> {
    /** Value of the {@code negative_miner} column. */
    public static final String MINER = NegativesTable.MINER_DENSE;

    /** Output schema of {@code mine-dense/examples}: one row per retrieval example. */
    public static final StructType SCHEMA =
            new StructType()
                    .add(Columns.SOURCE, DataTypes.StringType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, false)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(NegativesTable.TASK_TYPE, DataTypes.StringType, false)
                    .add(RetrievalTable.QUERY, DataTypes.StringType, false)
                    .add(RetrievalTable.POSITIVE, DataTypes.StringType, false)
                    .add(
                            NegativesTable.NEGATIVES,
                            DataTypes.createArrayType(DataTypes.StringType, false),
                            false)
                    .add(
                            NegativesTable.NEGATIVE_IDS,
                            DataTypes.createArrayType(DataTypes.StringType, false),
                            false)
                    .add(
                            NegativesTable.NEGATIVE_SCORES,
                            DataTypes.createArrayType(DataTypes.DoubleType, false),
                            false)
                    .add(
                            NegativesTable.NEGATIVE_RANKS,
                            DataTypes.createArrayType(DataTypes.IntegerType, false),
                            false)
                    .add(NegativesTable.NEGATIVE_MINER, DataTypes.StringType, false)
                    .add(NegativesTable.POSITIVE_SCORE, DataTypes.DoubleType, false);

    /** Reject reason: the text is empty after normalisation. */
    public static final String EMPTY_TEXT = "empty_text";

    /** Reject reason: longer than {@code max_text_chars}. */
    public static final String TEXT_TOO_LONG = "text_too_long";

    /**
     * The embedding store under the stage's output: {@code embeddings/fingerprint=<encoder
     * fingerprint>/}.
     */
    public static final String EMBEDDINGS = "embeddings";

    private static final String SOURCE = Columns.SOURCE;

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

    private static final UserDefinedFunction NORMALIZE =
            udf((String t) -> TextNormalizer.normalize(t), DataTypes.StringType);

    private static final UserDefinedFunction TEXT_ID =
            udf((String t) -> StableIds.of(t), DataTypes.StringType);

    /**
     * What {@link #apply} produces.
     *
     * @param examples rows of {@link #SCHEMA}
     * @param rejects rows of {@link RejectsTable#SCHEMA}
     * @param encoded embeddings encoded by this run with their routing columns, persisted; {@link
     *     #newEmbeddings} is the part {@link #run} appends to the store
     * @param selected examples with their counters (internal; feeds {@link DenseSummary})
     * @param candidates (source, c_tid, doc_ids, text) of every candidate, persisted (internal;
     *     feeds {@link DenseSummary})
     * @param firstPass the selection within {@code range_max}, persisted; {@code selected} itself
     *     when no row needed a wider window
     */
    public record Result(
            Dataset<Row> examples,
            Dataset<Row> rejects,
            Dataset<Row> encoded,
            Dataset<Row> selected,
            Dataset<Row> candidates,
            Dataset<Row> firstPass) {
        /** Embeddings encoded by this run: rows of {@link DenseEmbedder#SCHEMA}. */
        public Dataset<Row> newEmbeddings() {
            return encoded.select(
                    DenseEmbedder.KIND, DenseEmbedder.TEXT_ID, DenseEmbedder.EMBEDDING);
        }

        /** Frees the cached intermediate datasets once outputs are written. */
        public void unpersist() {
            selected.unpersist();
            firstPass.unpersist();
            encoded.unpersist();
            candidates.unpersist();
        }
    }

    /** Embeddings of one run: those encoded now (persisted) and every one it uses. */
    private record Embeddings(Dataset<Row> fresh, Dataset<Row> all) {}

    @Override
    public StageId id() {
        return StageId.MINE_DENSE;
    }

    @Override
    public Class<DenseParams> paramsType() {
        return DenseParams.class;
    }

    /**
     * The encoder's files by content: {@code encoder.model_path} (a file, or every file of a model
     * folder) and {@code encoder.tokenizer_path}, so a model replaced in place re-runs the stage.
     * The embedded default has no path: its artifact's version ({@link EmbeddedModels#E5_ID})
     * stands for its files. With {@code encoder.precision: int8} the int8 graph is read too, so one
     * quantized again with other options re-runs the stage.
     */
    @Override
    public Inputs inputs(PipelineConfig config, DenseParams params) {
        List<String> files = new ArrayList<>();
        if (params.encoder().modelPath() != null) {
            files.add(params.encoder().modelPath());
        }
        String int8 = int8File(params.encoder());
        if (int8 != null) {
            files.add(int8);
        }
        if (params.encoder().tokenizerPath() != null) {
            files.add(params.encoder().tokenizerPath());
        }
        return new Inputs(
                files,
                params.encoder().modelPath() == null
                        ? Map.of(EMBEDDED_MODEL, EmbeddedModels.E5_ID)
                        : null);
    }

    /** Key of the embedded model's identity among the stage's fingerprinted profile values. */
    public static final String EMBEDDED_MODEL = "embedded_model";

    /**
     * The int8 graph a config with {@code precision: int8} runs, as a {@code file:} URI for the
     * embedded E5 (it lives in the local model cache, not on the default file system); null for
     * fp32 and for a model folder (its int8 graph is one of the folder's files).
     */
    private static String int8File(EncoderConfig encoder) {
        if (!encoder.isInt8()) {
            return null;
        }
        if (encoder.isEmbedded()) {
            return EncoderPrecision.embeddedInt8File().toUri().toString();
        }
        String path = encoder.modelPath();
        return path.endsWith(".onnx") ? EncoderPrecision.int8Name(path) : null;
    }

    /**
     * Before Spark: {@code encoder.model_path} and {@code encoder.tokenizer_path} exist, and so
     * does the int8 graph of {@code precision: int8} (else the message names the script that writes
     * it).
     */
    @Override
    public void check(
            PipelineConfig config,
            DenseParams params,
            org.apache.hadoop.conf.Configuration hadoop) {
        exists(config, hadoop, "model_path", params.encoder().modelPath());
        exists(config, hadoop, "tokenizer_path", params.encoder().tokenizerPath());
        String int8 = int8File(params.encoder());
        if (int8 != null && !exists(hadoop, int8)) {
            throw new ConfigException(
                    config.file()
                            + ": "
                            + StageId.MINE_DENSE.settingsKey()
                            + "."
                            + EncoderPrecision.missing(
                                    params.encoder().isEmbedded()
                                            ? EncoderPrecision.embeddedInt8File().toString()
                                            : int8,
                                    params.encoder().modelPath()));
        }
    }

    private static boolean exists(org.apache.hadoop.conf.Configuration hadoop, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            return p.getFileSystem(hadoop).exists(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot check " + path, e);
        }
    }

    private static void exists(
            PipelineConfig config,
            org.apache.hadoop.conf.Configuration hadoop,
            String key,
            String path) {
        if (path == null) {
            return;
        }
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            if (!p.getFileSystem(hadoop).exists(p)) {
                throw ConfigException.badValue(
                        config.file(),
                        StageId.MINE_DENSE.settingsKey() + ".encoder." + key,
                        path,
                        "an existing file or model folder (there is none)");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot check " + path, e);
        }
    }

    /**
     * Reads the decontaminated retrieval table and the ingested corpus, mines, and writes {@code
     * examples}, {@code rejects} and the newly encoded texts appended to {@code
     * embeddings/fingerprint=<encoder fingerprint>}. Runs on the driver.
     */
    @Override
    public DenseSummary run(StageContext ctx, DenseParams p) {
        Dataset<Row> retrieval = ctx.read(StageId.DECONTAMINATE, RetrievalTable.NAME);
        Dataset<Row> corpus = ctx.readOrEmpty(StageId.INGEST, CorpusTable.NAME, CorpusTable.SCHEMA);
        String fingerprint = p.encoder().fingerprint();
        String partition = DenseEmbedder.FINGERPRINT + "=" + fingerprint;
        Dataset<Row> stored = null;
        if (ctx.exists(ctx.output(EMBEDDINGS, partition))) {
            stored =
                    ctx.spark()
                            .read()
                            .parquet(ctx.output(EMBEDDINGS))
                            .filter(col(DenseEmbedder.FINGERPRINT).equalTo(fingerprint));
        }
        ctx.step("mining");
        Result r = apply(retrieval, corpus, p, stored);
        ctx.step("writing " + EMBEDDINGS);
        r.newEmbeddings()
                .withColumn(DenseEmbedder.FINGERPRINT, lit(fingerprint))
                .write()
                .mode(SaveMode.Append)
                .partitionBy(DenseEmbedder.FINGERPRINT)
                .parquet(ctx.output(EMBEDDINGS));
        ctx.write(NegativesTable.EXAMPLES_DIR, r.examples());
        ctx.write(RejectsTable.NAME, r.rejects());
        ctx.step(StageOutput.SUMMARY);
        DenseSummary summary = DenseSummary.of(r, p);
        r.unpersist();
        return summary;
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
        Dataset<Row> ex = examples(retrieval, p.maxTextChars());
        Dataset<Row> valid = ex.filter(col("bad").isNull());
        Dataset<Row> cp = corpusTexts(corpus, p.maxTextChars());
        Dataset<Row> candidates = candidates(cp, valid, corpus);
        Dataset<Row> exampleRows = exampleRows(ex, corpus);
        Embeddings emb = embed(textsToEmbed(valid, candidates), storedEmbeddings, p);
        Dataset<Row> queryVectors = searchRows(emb.all(), DenseEmbedder.QUERY, QUERY_SOURCES);
        Dataset<Row> candidateVectors =
                searchRows(emb.all(), DenseEmbedder.PASSAGE, CANDIDATE_SOURCES);
        Dataset<Row> positives = positiveVectors(emb.all());
        Dataset<Row> first =
                DenseSelection.select(
                        exampleRows,
                        queryVectors,
                        positives,
                        search(queryVectors, candidateVectors, candidates, p.rangeMax(), p),
                        p);
        Dataset<Row> selected =
                widen(first, exampleRows, queryVectors, positives, candidateVectors, candidates, p);
        Dataset<Row> examples =
                selected.select(
                        Arrays.stream(SCHEMA.fieldNames()).map(c -> col(c)).toArray(Column[]::new));
        Dataset<Row> rejects = exampleRejects(ex).unionByName(corpusRejects(cp));
        return new Result(examples, rejects, emb.fresh(), selected, candidates, first);
    }

    /**
     * Step 9, widening: the query texts whose filters left an example fewer than {@code negatives}
     * inside {@code range_max} while the search was full (more candidates exist) are searched
     * again, alone, to depth {@code max_range}, and selected again; their rows replace the first
     * pass's. The selector widens the window in doubling steps over the deeper hits, so the result
     * equals one search of depth {@code max_range} for every query, exact and deterministic, while
     * the rows that had enough pay nothing. One small job decides whether any text needs it.
     */
    static Dataset<Row> widen(
            Dataset<Row> first,
            Dataset<Row> exampleRows,
            Dataset<Row> queryVectors,
            Dataset<Row> positives,
            Dataset<Row> candidateVectors,
            Dataset<Row> candidates,
            DenseParams p) {
        if (p.maxRange() <= p.rangeMax()) {
            return first;
        }
        Column window = col(DenseSelection.WINDOW);
        Dataset<Row> shortTexts =
                first.filter(
                                size(col(NegativesTable.NEGATIVES))
                                        .lt(p.negatives())
                                        .and(col(DenseSelection.HITS).equalTo(window))
                                        .and(window.lt(p.maxRange())))
                        .select(SOURCE, DenseSelection.Q_TID)
                        .distinct();
        if (shortTexts.isEmpty()) {
            return first;
        }
        String[] key = {SOURCE, DenseSelection.Q_TID};
        Dataset<Row> shortQueries =
                queryVectors.join(
                        shortTexts.withColumnRenamed(DenseSelection.Q_TID, "id"),
                        new String[] {SOURCE, BlockedSearch.ID});
        Dataset<Row> wider =
                DenseSelection.select(
                        exampleRows.join(shortTexts, key),
                        shortQueries,
                        positives.join(shortTexts, key),
                        search(shortQueries, candidateVectors, candidates, p.maxRange(), p),
                        p);
        return first.join(shortTexts, key, "left_anti")
                .unionByName(wider)
                .persist(StorageLevel.MEMORY_AND_DISK());
    }

    /**
     * Step 1, examples: query and positive normalised, with their text ids and the reason an empty
     * or over-long text is rejected ({@code bad}; {@code q_tid} only for a usable query).
     */
    static Dataset<Row> examples(Dataset<Row> retrieval, int maxChars) {
        return retrieval
                .select(
                        col(SOURCE),
                        col(Columns.SPLIT),
                        col(Columns.EXAMPLE_ID),
                        col(RetrievalTable.QUERY_ID),
                        col(RetrievalTable.QUERY),
                        col(RetrievalTable.POSITIVE_ID),
                        col(RetrievalTable.POSITIVE))
                .withColumn("q_norm", NORMALIZE.apply(col(RetrievalTable.QUERY)))
                .withColumn("p_norm", NORMALIZE.apply(col(RetrievalTable.POSITIVE)))
                .withColumn("p_tid", TEXT_ID.apply(col("p_norm")))
                .withColumn("q_bad", badText(col("q_norm"), "query", maxChars))
                .withColumn(
                        "bad", coalesce(col("q_bad"), badText(col("p_norm"), "positive", maxChars)))
                .withColumn("q_tid", when(col("q_bad").isNull(), TEXT_ID.apply(col("q_norm"))));
    }

    /** Reject rows of the examples with an empty or over-long query or positive. */
    static Dataset<Row> exampleRejects(Dataset<Row> ex) {
        return Rejects.of(
                ex.filter(col("bad").isNotNull()),
                StageId.MINE_DENSE,
                lit(RetrievalTable.NAME),
                col("bad.reason"),
                concat(lit("example_id="), col(Columns.EXAMPLE_ID)),
                col("bad.detail"),
                concat_ws(" | ", col(RetrievalTable.QUERY), col(RetrievalTable.POSITIVE)));
    }

    /** Step 2, corpus texts: {@code title + " " + text} normalised, with a {@code bad} reason. */
    static Dataset<Row> corpusTexts(Dataset<Row> corpus, int maxChars) {
        return corpus.select(
                        col(SOURCE),
                        col(Columns.SPLIT),
                        col(CorpusTable.DOC_ID),
                        col(CorpusTable.TEXT).as("raw"),
                        NORMALIZE
                                .apply(
                                        concat_ws(
                                                " ", col(CorpusTable.TITLE), col(CorpusTable.TEXT)))
                                .as("text"))
                .withColumn("bad", badText(col("text"), "text", maxChars));
    }

    /** Reject rows of the corpus documents with an empty or over-long text. */
    static Dataset<Row> corpusRejects(Dataset<Row> cp) {
        return Rejects.of(
                cp.filter(col("bad").isNotNull()),
                StageId.MINE_DENSE,
                lit(CorpusTable.NAME),
                col("bad.reason"),
                concat(lit("doc_id="), col(CorpusTable.DOC_ID)),
                col("bad.detail"),
                col("raw"));
    }

    /**
     * Step 3, candidates: the corpus rows, or the positives' pool for sources without a corpus, one
     * per (source, text id) with every doc id of that text; persisted.
     */
    static Dataset<Row> candidates(Dataset<Row> cp, Dataset<Row> valid, Dataset<Row> corpus) {
        Dataset<Row> pool =
                valid.select(
                                col(SOURCE),
                                col(RetrievalTable.POSITIVE_ID).as(CorpusTable.DOC_ID),
                                col("p_norm").as("text"))
                        .join(corpus.select(SOURCE).distinct(), new String[] {SOURCE}, "left_anti");
        return cp.filter(col("bad").isNull())
                .select(SOURCE, CorpusTable.DOC_ID, "text")
                .unionByName(pool)
                .withColumn("c_tid", TEXT_ID.apply(col("text")))
                .groupBy(SOURCE, "c_tid")
                .agg(
                        array_sort(collect_set(col(CorpusTable.DOC_ID))).as("doc_ids"),
                        first(col("text")).as("text"))
                .persist(StorageLevel.MEMORY_AND_DISK());
    }

    /**
     * Step 4, the example rows of each query text: every example whose query is usable, including
     * those rejected for their positive (whose positive is still excluded), with whether the
     * positive is in the source's corpus (always, for a source mined over its positives).
     */
    static Dataset<Row> exampleRows(Dataset<Row> ex, Dataset<Row> corpus) {
        Dataset<Row> corpusIds =
                corpus.select(col(SOURCE), col(CorpusTable.DOC_ID).as(RetrievalTable.POSITIVE_ID))
                        .distinct()
                        .withColumn("in_corpus", lit(true));
        Dataset<Row> corpusSources = corpus.select(SOURCE).distinct();
        return ex.filter(col("q_tid").isNotNull())
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
    }

    /**
     * Step 5, texts to embed, once per (kind, text id), with where each vector goes: the sources
     * whose search it enters as a query or as a candidate, and the queries it is a positive of.
     */
    static Dataset<Row> textsToEmbed(Dataset<Row> valid, Dataset<Row> candidates) {
        Column noSource = lit(null).cast(DataTypes.StringType);
        Column noQuery = lit(null).cast(QUERY_KEY);
        return valid.select(
                        lit(DenseEmbedder.QUERY).as(DenseEmbedder.KIND),
                        col("q_tid").as(DenseEmbedder.TEXT_ID),
                        col("q_norm").as(DenseEmbedder.TEXT),
                        col(SOURCE).as("query_source"),
                        noSource.as("candidate_source"),
                        noQuery.as("positive_of"))
                .unionByName(
                        valid.select(
                                lit(DenseEmbedder.PASSAGE).as(DenseEmbedder.KIND),
                                col("p_tid").as(DenseEmbedder.TEXT_ID),
                                col("p_norm").as(DenseEmbedder.TEXT),
                                noSource.as("query_source"),
                                noSource.as("candidate_source"),
                                struct(col(SOURCE), col("q_tid")).as("positive_of")))
                .unionByName(
                        candidates.select(
                                lit(DenseEmbedder.PASSAGE).as(DenseEmbedder.KIND),
                                col("c_tid").as(DenseEmbedder.TEXT_ID),
                                col("text").as(DenseEmbedder.TEXT),
                                noSource.as("query_source"),
                                col(SOURCE).as("candidate_source"),
                                noQuery.as("positive_of")))
                .groupBy(DenseEmbedder.KIND, DenseEmbedder.TEXT_ID)
                .agg(
                        first(col(DenseEmbedder.TEXT)).as(DenseEmbedder.TEXT),
                        collect_set(col("query_source")).as(QUERY_SOURCES),
                        collect_set(col("candidate_source")).as(CANDIDATE_SOURCES),
                        collect_set(col("positive_of")).as(POSITIVE_OF));
    }

    /** Step 6, embeddings: stored ones reused, the rest encoded once and persisted. */
    private static Embeddings embed(
            Dataset<Row> needed, Dataset<Row> storedEmbeddings, DenseParams p) {
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
        return new Embeddings(fresh, reused == null ? fresh : fresh.unionByName(reused));
    }

    /** The (source, id, vec) rows of one kind of embedding, once per source in its routing. */
    private static Dataset<Row> searchRows(Dataset<Row> emb, String kind, String sources) {
        return emb.filter(col(DenseEmbedder.KIND).equalTo(kind))
                .select(
                        explode(col(sources)).as(SOURCE),
                        col(DenseEmbedder.TEXT_ID).as(BlockedSearch.ID),
                        col(DenseEmbedder.EMBEDDING).as(BlockedSearch.VEC));
    }

    /** The (source, q_tid, p_tid, vec) of every positive, once per query it is a positive of. */
    private static Dataset<Row> positiveVectors(Dataset<Row> emb) {
        return emb.filter(col(DenseEmbedder.KIND).equalTo(DenseEmbedder.PASSAGE))
                .select(
                        explode(col(POSITIVE_OF)).as("of"),
                        col(DenseEmbedder.TEXT_ID).as("p_tid"),
                        col(DenseEmbedder.EMBEDDING).as("vec"))
                .select(col("of.source").as(SOURCE), col("of.q_tid"), col("p_tid"), col("vec"));
    }

    /**
     * Step 7, search: the top {@code k} candidates per distinct query text of each source, one row
     * per hit with its 1-based rank and the candidate's ids and text.
     */
    private static Dataset<Row> search(
            Dataset<Row> queryVectors,
            Dataset<Row> candidateVectors,
            Dataset<Row> candidates,
            int k,
            DenseParams p) {
        Dataset<Row> hits =
                BlockedSearch.search(
                        queryVectors,
                        candidateVectors,
                        k,
                        p.queryBlock(),
                        p.corpusBlock(),
                        p.scoringThreads());
        return hits.select(
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
    }

    /**
     * A when-chain giving struct(reason, detail) for an empty or over-long text, else null. The
     * detail still names the key as {@code mining.max_text_chars} (now {@code
     * stages.mine-dense.max_text_chars}): reject rows are output rows, renamed only on purpose.
     */
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
}
