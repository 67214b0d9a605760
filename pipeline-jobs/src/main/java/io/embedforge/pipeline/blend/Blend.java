package io.embedforge.pipeline.blend;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.shiftright;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.slice;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.common.SeededHash;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.stage.Rejects;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Stage {@code blend}: the mined examples of every source into the two training datasets of the
 * recipe, in the training contract ({@link TrainingContract}).
 *
 * <ol>
 *   <li>Instructions: {@code query_text = "Instruct: {task}\nQuery: {query}"} with the source's
 *       instruction (P2P clustering queries take {@code params.p2p_instruction}); documents carry
 *       {@code document_instruction} only for symmetric sources.
 *   <li>Stage split: {@code stage1} = task types of {@code stage1_task_types} (retrieval), in-batch
 *       negatives on; {@code stage2} = every source, in-batch negatives off.
 *   <li>Exact duplicates of (query, positive) within a stage, across sources, miners or within a
 *       source, are removed (the first by (source, example id) stays) and counted per source. One
 *       window over (query, positive) flags the first row of both stages at once.
 *   <li>Per-source mixing: {@code min(cap, weight x rows)} rows, the ones with the smallest {@code
 *       SeededHash.rank(seed, example_id, "sample")}.
 *   <li>Global shuffle: sort by {@code SeededHash.rank(seed, example_id, stage)} (ties by source,
 *       id), then {@code batch_index = position / batch_size}. Sorting by a hash of the id, not by
 *       partition order, makes the output identical for any partitioning, and batches are random
 *       draws over all sources, so they mix sources in proportion to their sizes. The position is
 *       the rows of the shuffle-key buckets before a row's own (counted beforehand) plus its rank
 *       within its bucket, so no extra job numbers the sorted partitions.
 * </ol>
 *
 * <p>Planned on the driver; every row-level step runs on executors. Spark jobs cost more than the
 * row work on typical sizes, so every count (per source and input, duplicates, histograms, bucket
 * sizes) comes from one counting job over the rows, persisted once after the dedup shuffle; the
 * driver receives only those counts.
 */
public final class Blend implements Stage<BlendParams> {
    /** Value of {@link #QUERY_FIELD} for P2P clustering queries. */
    static final String P2P_FIELD = "abstract";

    /** Column the label-negatives stage adds ({@code title} / {@code abstract}). */
    static final String QUERY_FIELD = NegativesTable.QUERY_FIELD;

    /** Columns every input must have. */
    public static final List<String> REQUIRED_COLUMNS =
            List.of(
                    TrainingContract.SOURCE,
                    TrainingContract.EXAMPLE_ID,
                    TrainingContract.TASK_TYPE,
                    TrainingContract.QUERY,
                    TrainingContract.POSITIVE,
                    TrainingContract.NEGATIVES,
                    TrainingContract.NEGATIVE_SCORES,
                    TrainingContract.NEGATIVE_MINER);

    /** The stages blend reads examples from, in registry order. */
    public static final List<StageId> INPUTS =
            StageId.writing(StageId.BLEND.reads(), NegativesTable.EXAMPLES_DIR);

    private static final List<String> STAGES =
            List.of(TrainingContract.STAGE1, TrainingContract.STAGE2);
    private static final String INPUT = "input";
    private static final String IN_STAGE1 = "in_stage1";
    private static final String FIRST_STAGE1 = "first_in_stage1";
    private static final String FIRST_STAGE2 = "first_in_stage2";
    private static final String SAMPLE_RANK = "sample_rank";
    private static final String SHUFFLE = "shuffle_key";
    private static final String BUCKET = "shuffle_bucket";
    private static final String POSITION = "position";

    /**
     * The shuffle key's top bits number its bucket: buckets are contiguous ranges of the sort
     * order, so a row's position is the rows of the buckets before it plus its rank in its own.
     * 1024 buckets bound the partitions of the sort and the counts the driver receives.
     */
    private static final int BUCKET_BITS = 10;

    private static final int BUCKETS = 1 << BUCKET_BITS;

    /** Keys of the counting job: what a row counts towards (see {@link Tally}). */
    private static final String KIND_INPUT = "input";

    private static final String KIND_UNIQUE = "unique";
    private static final String KIND_DUPLICATE = "duplicate";
    private static final String KIND_NEGATIVES = "negatives";
    private static final String KIND_BUCKET = "bucket";
    private static final String KIND_TOO_FEW = "too_few";
    private static final String KIND_MIN = "min_negatives";
    private static final String KIND_TOO_FEW_ROWS = "too_few_rows";
    private static final String KIND_PER_ROW = "per_row";
    private static final String KIND_FILLED = "filled";

    /** Column: the fewest negatives the row's source requires. */
    private static final String MIN_NEGATIVES = "min_negatives";

    /** Column: the row has fewer negatives than {@link #MIN_NEGATIVES}. */
    private static final String TOO_FEW = "too_few";

    /** Task types whose default minimum is the negatives their source offers. */
    private static final List<String> LABEL_TASK_TYPES = List.of("classification", "clustering");

    /** Split of a reject row whose input has no {@code split} column. */
    private static final String UNKNOWN_SPLIT = "unknown";

    @Override
    public StageId id() {
        return StageId.BLEND;
    }

    @Override
    public Class<BlendParams> paramsType() {
        return BlendParams.class;
    }

    /** The sources' task types and instructions: part of the fingerprint. */
    @Override
    public Inputs inputs(PipelineConfig config, BlendParams params) {
        return new Inputs(List.of(), SourceInfo.of(config));
    }

    /** Reads the mining stages' examples, blends, writes {@code stage1} and {@code stage2}. */
    @Override
    public BlendSummary run(StageContext ctx, BlendParams p) {
        Map<String, Dataset<Row>> inputs = new LinkedHashMap<>();
        Map<String, String> paths = new LinkedHashMap<>();
        for (StageId in : INPUTS) {
            String path = ctx.input(in, NegativesTable.EXAMPLES_DIR);
            inputs.put(in.id(), read(ctx, in, path));
            paths.put(in.id(), path);
        }
        ctx.step("blending");
        return apply(inputs, SourceInfo.of(ctx.config()), p, paths).write(ctx);
    }

    /** Reads one input, failing with the stage and path when it is missing or lacks columns. */
    static Dataset<Row> read(StageContext ctx, StageId in, String path) {
        if (!ctx.exists(path)) {
            throw new BlendException(
                    "blend: input of stage "
                            + in
                            + " is missing: "
                            + path
                            + " (run `embedforge "
                            + in
                            + "` first)");
        }
        Dataset<Row> df;
        try {
            df = ctx.spark().read().parquet(path);
        } catch (RuntimeException e) {
            throw new BlendException(
                    "blend: input of stage "
                            + in
                            + " at "
                            + path
                            + " is not readable Parquet: "
                            + e.getMessage());
        }
        checkColumns(in.id(), path, df);
        return df;
    }

    /** Fails naming the stage, path and missing columns. */
    public static void checkColumns(String stage, String path, Dataset<Row> df) {
        List<String> have = Arrays.asList(df.columns());
        List<String> missing = new ArrayList<>();
        for (String c : REQUIRED_COLUMNS) {
            if (!have.contains(c)) {
                missing.add(c);
            }
        }
        if (!missing.isEmpty()) {
            throw new BlendException(
                    "blend: input of stage "
                            + stage
                            + " at "
                            + path
                            + " lacks columns "
                            + missing
                            + " (has "
                            + have
                            + ")");
        }
    }

    /**
     * The pure transformation. {@code inputs} maps an input stage name to its examples (negatives
     * table columns, {@link #REQUIRED_COLUMNS} at least); {@code paths} names where each came from
     * for errors (may be empty). Runs one counting job over every row (plus one per stage whose
     * caps cut rows); the rows themselves are computed when {@link Blended#write} writes them.
     */
    public static Blended apply(
            Map<String, Dataset<Row>> inputs,
            Map<String, SourceInfo> sources,
            BlendParams p,
            Map<String, String> paths) {
        Dataset<Row> flagged = flagged(filled(union(inputs, paths), sources, p), p).persist();
        List<Dataset<Row>> cached = new ArrayList<>(List.of(flagged));
        Rank rank = new Rank(p.seed());
        int k = p.negatives();
        List<Column> keys = new ArrayList<>();
        keys.add(
                key(
                        lit(KIND_INPUT),
                        col(INPUT),
                        col(TrainingContract.SOURCE),
                        when(size(col(TrainingContract.NEGATIVES)).gt(k), 1L).otherwise(0L)));
        keys.addAll(policyKeys(k));
        keys.addAll(stageKeys(TrainingContract.STAGE1, col(IN_STAGE1), col(FIRST_STAGE1), rank, k));
        keys.addAll(stageKeys(TrainingContract.STAGE2, lit(true), col(FIRST_STAGE2), rank, k));
        Tally tally = Tally.of(flagged, keys);
        try {
            checkSources(tally, sources, paths);
        } catch (BlendException e) {
            unpersist(cached);
            throw e;
        }
        Dataset<Row> info = info(flagged.sparkSession(), sources);
        List<Planned> stages = new ArrayList<>();
        for (String stage : STAGES) {
            stages.add(plan(stage, flagged, tally.stage(stage), info, rank, p, cached));
        }
        Map<String, Long> rowsIn = new TreeMap<>();
        tally.byInput.values().forEach(m -> m.forEach((s, n) -> rowsIn.merge(s, n, Long::sum)));
        BlendSummary summary =
                new BlendSummary(
                        p.seed(),
                        paths,
                        tally.byInput,
                        rowsIn,
                        tally.truncated,
                        tally.policy(fallbacks(sources, p)),
                        null,
                        null);
        return new Blended(stages, summary, rejects(flagged), cached, paths);
    }

    /**
     * Step 1: every input's rows in one frame with the input's name, the common columns and the
     * optional {@code query_field}.
     */
    private static Dataset<Row> union(Map<String, Dataset<Row>> inputs, Map<String, String> paths) {
        Dataset<Row> all = null;
        for (Map.Entry<String, Dataset<Row>> e : inputs.entrySet()) {
            Dataset<Row> df = e.getValue();
            checkColumns(e.getKey(), paths.getOrDefault(e.getKey(), "(inline)"), df);
            List<String> columns = Arrays.asList(df.columns());
            Column queryField =
                    columns.contains(QUERY_FIELD)
                            ? col(QUERY_FIELD)
                            : lit(null).cast(DataTypes.StringType);
            Column split =
                    columns.contains(Columns.SPLIT) ? col(Columns.SPLIT) : lit(UNKNOWN_SPLIT);
            Dataset<Row> s =
                    df.select(
                            lit(e.getKey()).as(INPUT),
                            col(TrainingContract.SOURCE),
                            split.as(Columns.SPLIT),
                            col(TrainingContract.EXAMPLE_ID),
                            col(TrainingContract.TASK_TYPE),
                            col(TrainingContract.QUERY),
                            col(TrainingContract.POSITIVE),
                            col(TrainingContract.NEGATIVES),
                            col(TrainingContract.NEGATIVE_SCORES)
                                    .cast(DataTypes.createArrayType(DataTypes.DoubleType, true)),
                            col(TrainingContract.NEGATIVE_MINER),
                            queryField.as(QUERY_FIELD));
            all = all == null ? s : all.unionByName(s);
        }
        return all;
    }

    /**
     * Step 2 and its fallback: the policy's columns, then, for the sources whose {@code fallback}
     * is {@code random}, their short rows filled ({@link RandomFill}); {@link RandomFill#FILLED}
     * counts the negatives added (0 without a fallback, whose rows are untouched).
     */
    private static Dataset<Row> filled(
            Dataset<Row> all, Map<String, SourceInfo> sources, BlendParams p) {
        Dataset<Row> rows = withPolicy(all, sources, p).withColumn(RandomFill.FILLED, lit(0));
        Set<String> random = new TreeSet<>();
        fallbacks(sources, p)
                .forEach(
                        (s, f) -> {
                            if (f.equals(RandomFill.MINER)) {
                                random.add(s);
                            }
                        });
        return random.isEmpty()
                ? rows
                : RandomFill.apply(rows, random, p.seed(), INPUT, MIN_NEGATIVES, TOO_FEW);
    }

    /** Each source's fallback ({@link BlendParams#fallback(String)}). */
    private static Map<String, String> fallbacks(Map<String, SourceInfo> sources, BlendParams p) {
        Map<String, String> m = new TreeMap<>();
        sources.keySet().forEach(s -> m.put(s, p.fallback(s)));
        return m;
    }

    /**
     * Step 2, the {@code min_negatives} policy: each row gets its source's minimum ({@link
     * BlendParams#minNegatives}; for a label source without a setting, the most negatives any of
     * its rows has, at most {@code negatives}, from one small aggregation broadcast back) and
     * whether it has fewer ({@code too_few}). Such rows are dropped from both stages and written as
     * reject rows with reason {@link BlendSummary#DROP_TOO_FEW_NEGATIVES}.
     */
    private static Dataset<Row> withPolicy(
            Dataset<Row> all, Map<String, SourceInfo> sources, BlendParams p) {
        List<Row> fixed = new ArrayList<>();
        boolean fromData = false;
        for (SourceInfo s : sources.values()) {
            Integer min = p.minNegatives(s.source(), s.taskType());
            fixed.add(RowFactory.create(s.source(), min));
            fromData |= min == null;
        }
        Dataset<Row> fixedDf =
                all.sparkSession()
                        .createDataFrame(
                                fixed,
                                new StructType()
                                        .add("m_source", DataTypes.StringType, false)
                                        .add("m_fixed", DataTypes.IntegerType, true));
        Column n = size(col(TrainingContract.NEGATIVES));
        Dataset<Row> rows =
                all.join(
                        broadcast(fixedDf),
                        col(TrainingContract.SOURCE).equalTo(col("m_source")),
                        "left");
        Column available = lit(0);
        if (fromData) {
            // only when a label source takes its minimum from the data: one small aggregation
            Dataset<Row> offered =
                    all.filter(col(TrainingContract.TASK_TYPE).isin(LABEL_TASK_TYPES.toArray()))
                            .groupBy(col(TrainingContract.SOURCE).as("a_source"))
                            .agg(max(n).as("a_available"));
            rows =
                    rows.join(
                                    broadcast(offered),
                                    col(TrainingContract.SOURCE).equalTo(col("a_source")),
                                    "left")
                            .drop("a_source");
            available = coalesce(col("a_available"), lit(0));
        }
        return rows.withColumn(
                        MIN_NEGATIVES,
                        coalesce(col("m_fixed"), least(lit(p.negatives()), available)))
                .withColumn(TOO_FEW, n.lt(col(MIN_NEGATIVES)))
                .drop("m_source", "m_fixed", "a_available");
    }

    /**
     * Step 3, exact (query, positive) duplicates, both stages in one shuffle: per (query,
     * positive), ordered by (too few negatives last, source, example id), the first row with enough
     * negatives stays in stage 2 and the first such row of a stage-1 task type stays in stage 1 (a
     * running count of stage-1 rows reaching 1). A row with too few negatives is never first, so it
     * never displaces a usable duplicate.
     */
    private static Dataset<Row> flagged(Dataset<Row> all, BlendParams p) {
        WindowSpec byPair =
                Window.partitionBy(col(TrainingContract.QUERY), col(TrainingContract.POSITIVE))
                        .orderBy(
                                col(TOO_FEW),
                                col(TrainingContract.SOURCE),
                                col(TrainingContract.EXAMPLE_ID),
                                col(INPUT));
        Column usable = not(col(TOO_FEW));
        Column inStage1 = col(IN_STAGE1);
        Column usableInStage1 = inStage1.and(usable);
        return all.withColumn(
                        IN_STAGE1,
                        col(TrainingContract.TASK_TYPE).isin(p.stage1TaskTypes().toArray()))
                .withColumn(FIRST_STAGE2, usable.and(row_number().over(byPair).equalTo(1)))
                .withColumn(
                        FIRST_STAGE1,
                        usableInStage1.and(
                                sum(when(usableInStage1, 1).otherwise(0))
                                        .over(
                                                byPair.rowsBetween(
                                                        Window.unboundedPreceding(),
                                                        Window.currentRow()))
                                        .equalTo(1)));
    }

    /** The reject rows of the policy: one per input row with too few negatives. */
    private static Dataset<Row> rejects(Dataset<Row> flagged) {
        return Rejects.of(
                flagged.filter(col(TOO_FEW)),
                StageId.BLEND,
                col(INPUT),
                lit(BlendSummary.DROP_TOO_FEW_NEGATIVES),
                concat(lit("example_id="), col(TrainingContract.EXAMPLE_ID)),
                concat(
                        size(col(TrainingContract.NEGATIVES)).cast(DataTypes.StringType),
                        lit(" negatives < min_negatives="),
                        col(MIN_NEGATIVES).cast(DataTypes.StringType),
                        lit(" of source "),
                        col(TrainingContract.SOURCE)),
                concat_ws(" | ", col(TrainingContract.QUERY), col(TrainingContract.POSITIVE)));
    }

    /**
     * Counting keys of the policy, per source: its minimum, its rows with too few negatives, its
     * rows per number of usable mined negatives (at most {@code negatives}, before any fill) and
     * its rows filled per number of negatives added.
     */
    private static List<Column> policyKeys(int k) {
        Column source = col(TrainingContract.SOURCE);
        Column filled = col(RandomFill.FILLED);
        return List.of(
                key(lit(KIND_MIN), lit(""), source, col(MIN_NEGATIVES).cast(DataTypes.LongType)),
                when(col(TOO_FEW), key(lit(KIND_TOO_FEW_ROWS), lit(""), source, lit(0L))),
                key(
                        lit(KIND_PER_ROW),
                        lit(""),
                        source,
                        least(size(col(TrainingContract.NEGATIVES)).minus(filled), lit(k))
                                .cast(DataTypes.LongType)),
                when(
                        filled.gt(0),
                        key(lit(KIND_FILLED), lit(""), source, filled.cast(DataTypes.LongType))));
    }

    /** Step 4: every source of the inputs must be a source of the profile. */
    private static void checkSources(
            Tally tally, Map<String, SourceInfo> sources, Map<String, String> paths) {
        for (Map.Entry<String, Map<String, Long>> in : tally.byInput.entrySet()) {
            for (String source : in.getValue().keySet()) {
                if (!sources.containsKey(source)) {
                    throw new BlendException(
                            "blend: source '"
                                    + source
                                    + "' in the output of stage "
                                    + in.getKey()
                                    + " at "
                                    + paths.getOrDefault(in.getKey(), "(inline)")
                                    + " is not a source of the profile "
                                    + sources.keySet());
                }
            }
        }
    }

    /**
     * Step 5, one training stage: its first rows, capped per source ({@code min(cap, weight x
     * rows)} with the smallest seeded sample ranks), then shuffled into batches.
     */
    private static Planned plan(
            String stage,
            Dataset<Row> flagged,
            StageTally counts,
            Dataset<Row> info,
            Rank rank,
            BlendParams p,
            List<Dataset<Row>> cached) {
        boolean stage1 = stage.equals(TrainingContract.STAGE1);
        Dataset<Row> unique = flagged.filter(col(stage1 ? FIRST_STAGE1 : FIRST_STAGE2));
        Map<String, Long> targets = new TreeMap<>();
        Map<String, Long> overCap = new TreeMap<>();
        counts.unique.forEach(
                (source, n) -> {
                    long t = p.target(source, n);
                    targets.put(source, t);
                    if (t < n) {
                        overCap.put(source, n - t);
                    }
                });
        Dataset<Row> kept = unique;
        StageTally out = counts;
        if (!overCap.isEmpty()) {
            kept = capped(unique, targets, rank).persist();
            cached.add(kept);
            out =
                    Tally.of(kept, stageKeys(stage, lit(true), lit(true), rank, p.negatives()))
                            .stage(stage);
        }
        Map<String, Long> rowsIn = new TreeMap<>(counts.unique);
        counts.duplicates.forEach((source, n) -> rowsIn.merge(source, n, Long::sum));
        counts.tooFew.forEach((source, n) -> rowsIn.merge(source, n, Long::sum));
        Map<String, Map<String, Long>> drops = new TreeMap<>();
        drops.put(BlendSummary.DROP_TOO_FEW_NEGATIVES, counts.tooFew);
        drops.put(BlendSummary.DROP_DUPLICATE, counts.duplicates);
        drops.put(BlendSummary.DROP_OVER_CAP, overCap);
        BlendSummary.TrainingStage planned =
                new BlendSummary.TrainingStage(
                        stage1, rowsIn, drops, targets, stage, null, 0, null, 0);
        return new Planned(
                stage,
                shuffled(kept, info, stage, stage1, rank, p, out.buckets),
                out,
                p.batchSize(),
                planned);
    }

    /**
     * Counting keys of one stage: every row of the stage counts as unique, duplicate or with too
     * few negatives for its source; the unique ones also count towards the negatives histogram and
     * their shuffle bucket.
     */
    private static List<Column> stageKeys(
            String stage, Column inStage, Column first, Rank rank, int maxNegatives) {
        Column kind =
                when(first, lit(KIND_UNIQUE))
                        .when(col(TOO_FEW), lit(KIND_TOO_FEW))
                        .otherwise(lit(KIND_DUPLICATE));
        return List.of(
                when(inStage, key(kind, lit(stage), col(TrainingContract.SOURCE), lit(0L))),
                when(
                        first,
                        key(
                                lit(KIND_NEGATIVES),
                                lit(stage),
                                lit(null).cast(DataTypes.StringType),
                                size(slice(col(TrainingContract.NEGATIVES), 1, maxNegatives))
                                        .cast(DataTypes.LongType))),
                when(
                        first,
                        key(
                                lit(KIND_BUCKET),
                                lit(stage),
                                lit(null).cast(DataTypes.StringType),
                                bucket(rank.of(stage)).cast(DataTypes.LongType))));
    }

    private static Column key(Column kind, Column group, Column source, Column value) {
        return struct(kind.as("kind"), group.as("group"), source.as("source"), value.as("value"));
    }

    /** The top {@link #BUCKET_BITS} bits of a shuffle key, from 0, in the key's signed order. */
    private static Column bucket(Column shuffleKey) {
        return shiftright(shuffleKey, Long.SIZE - BUCKET_BITS)
                .plus(BUCKETS / 2)
                .cast(DataTypes.IntegerType);
    }

    /** Per source, the {@code targets} rows with the smallest seeded sample ranks (exact). */
    private static Dataset<Row> capped(Dataset<Row> unique, Map<String, Long> targets, Rank rank) {
        List<Row> t = new ArrayList<>();
        targets.forEach((s, n) -> t.add(RowFactory.create(s, n)));
        Dataset<Row> tdf =
                unique.sparkSession()
                        .createDataFrame(
                                t,
                                new StructType()
                                        .add("t_source", DataTypes.StringType, false)
                                        .add("t_target", DataTypes.LongType, false));
        return unique.withColumn(
                        SAMPLE_RANK,
                        row_number()
                                .over(
                                        Window.partitionBy(col(TrainingContract.SOURCE))
                                                .orderBy(
                                                        rank.of("sample"),
                                                        col(TrainingContract.EXAMPLE_ID))))
                .join(broadcast(tdf), col(TrainingContract.SOURCE).equalTo(col("t_source")))
                .filter(col(SAMPLE_RANK).leq(col("t_target")))
                .drop(SAMPLE_RANK, "t_source", "t_target");
    }

    /** The profile's instructions per source, broadcast-joined to the rows. */
    private static Dataset<Row> info(SparkSession spark, Map<String, SourceInfo> sources) {
        List<Row> rows = new ArrayList<>();
        for (SourceInfo s : sources.values()) {
            rows.add(
                    RowFactory.create(
                            s.source(), s.instruction(), s.p2pInstruction(), s.symmetric()));
        }
        return spark.createDataFrame(
                rows,
                new StructType()
                        .add("i_source", DataTypes.StringType, false)
                        .add("i_instruction", DataTypes.StringType, false)
                        .add("i_p2p", DataTypes.StringType, true)
                        .add("i_symmetric", DataTypes.BooleanType, false));
    }

    /**
     * The kept rows of a stage in the contract's columns, with instructions, truncated negatives
     * and batch numbers, range-partitioned by shuffle bucket and sorted within each, so the part
     * files hold consecutive batches in order. A row's position is the rows of the buckets before
     * its own ({@code bucketRows}, counted beforehand) plus its rank within its bucket: no job
     * numbers the partitions, and nothing depends on how the input was partitioned.
     */
    private static Dataset<Row> shuffled(
            Dataset<Row> kept,
            Dataset<Row> info,
            String stage,
            boolean inBatch,
            Rank rank,
            BlendParams p,
            long[] bucketRows) {
        long[] offsets = new long[BUCKETS];
        for (int b = 1; b < BUCKETS; b++) {
            offsets[b] = offsets[b - 1] + bucketRows[b - 1];
        }
        Column position =
                element_at(lit(offsets), col(BUCKET).plus(1))
                        .plus(
                                row_number()
                                        .over(
                                                Window.partitionBy(col(BUCKET))
                                                        .orderBy(
                                                                col(SHUFFLE),
                                                                col(TrainingContract.SOURCE),
                                                                col(TrainingContract.EXAMPLE_ID))))
                        .minus(1);
        Column instruction =
                when(
                                col(QUERY_FIELD).equalTo(P2P_FIELD).and(col("i_p2p").isNotNull()),
                                col("i_p2p"))
                        .otherwise(col("i_instruction"));
        int k = p.negatives();
        return kept.join(broadcast(info), col(TrainingContract.SOURCE).equalTo(col("i_source")))
                .withColumn(SHUFFLE, rank.of(stage))
                .withColumn(BUCKET, bucket(col(SHUFFLE)))
                .repartitionByRange(col(BUCKET))
                .withColumn(POSITION, position)
                .select(
                        col(TrainingContract.EXAMPLE_ID),
                        lit(stage).as(TrainingContract.STAGE),
                        col(TrainingContract.SOURCE),
                        col(TrainingContract.TASK_TYPE),
                        instruction.as(TrainingContract.INSTRUCTION),
                        col(TrainingContract.QUERY),
                        concat(
                                        lit(TrainingContract.INSTRUCT_PREFIX),
                                        instruction,
                                        lit(TrainingContract.QUERY_SEPARATOR),
                                        col(TrainingContract.QUERY))
                                .as(TrainingContract.QUERY_TEXT),
                        col(TrainingContract.POSITIVE),
                        slice(col(TrainingContract.NEGATIVES), 1, k).as(TrainingContract.NEGATIVES),
                        slice(col(TrainingContract.NEGATIVE_SCORES), 1, k)
                                .as(TrainingContract.NEGATIVE_SCORES),
                        col(TrainingContract.NEGATIVE_MINER),
                        when(col("i_symmetric"), instruction)
                                .otherwise(lit(null).cast(DataTypes.StringType))
                                .as(TrainingContract.DOCUMENT_INSTRUCTION),
                        lit(inBatch).as(TrainingContract.IN_BATCH_NEGATIVES),
                        expr(POSITION + " div " + p.batchSize()).as(TrainingContract.BATCH_INDEX));
    }

    private static void unpersist(List<Dataset<Row>> cached) {
        cached.forEach(d -> d.unpersist(false));
    }

    /** {@code SeededHash.rank(seed, example_id, salt)} as a column. */
    private static final class Rank {
        private final UserDefinedFunction udf;

        Rank(long seed) {
            udf =
                    udf(
                            (UDF2<String, String, Long>)
                                    (id, salt) -> SeededHash.rank(seed, id, salt),
                            DataTypes.LongType);
        }

        Column of(String salt) {
            return udf.apply(col(TrainingContract.EXAMPLE_ID), lit(salt));
        }
    }

    /** Counts of one stage's rows, from the counting job. */
    private static final class StageTally {
        final Map<String, Long> unique = new TreeMap<>();
        final Map<String, Long> duplicates = new TreeMap<>();
        final Map<String, Long> tooFew = new TreeMap<>();
        final Map<String, Long> negatives = new TreeMap<>();
        final long[] buckets = new long[BUCKETS];

        long rows() {
            return unique.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * The result of one counting job: each row contributes a few (kind, group, source, value) keys,
     * and the job counts the rows per key, so per-source counts, histograms and bucket sizes of
     * both stages come from a single pass. At most a few thousand small rows reach the driver.
     */
    private static final class Tally {
        /** Orders histogram keys ("0", "1", ..., "10") as numbers. */
        private static final Comparator<String> NUMERIC = Comparator.comparingLong(Long::parseLong);

        final Map<String, Map<String, Long>> byInput = new TreeMap<>();
        long truncated;
        private final Map<String, StageTally> stages = new TreeMap<>();
        private final Map<String, Long> minNegatives = new TreeMap<>();
        private final Map<String, Long> tooFewRows = new TreeMap<>();
        private final Map<String, Map<String, Long>> perRow = new TreeMap<>();
        private final Map<String, Long> filledRows = new TreeMap<>();
        private final Map<String, Long> filledNegatives = new TreeMap<>();

        /** The policy's counts per source of the rows, with each source's fallback. */
        BlendSummary.NegativesPolicy policy(Map<String, String> fallbacks) {
            Map<String, Long> tooFew = new TreeMap<>();
            Map<String, String> fallback = new TreeMap<>();
            Map<String, Long> rows = new TreeMap<>();
            Map<String, Long> negatives = new TreeMap<>();
            for (String s : minNegatives.keySet()) {
                tooFew.put(s, tooFewRows.getOrDefault(s, 0L));
                fallback.put(s, fallbacks.get(s));
                rows.put(s, filledRows.getOrDefault(s, 0L));
                negatives.put(s, filledNegatives.getOrDefault(s, 0L));
            }
            return new BlendSummary.NegativesPolicy(
                    minNegatives, tooFew, perRow, fallback, rows, negatives);
        }

        static Tally of(Dataset<Row> rows, List<Column> keys) {
            Tally t = new Tally();
            for (Row r :
                    rows.select(explode(array(keys.toArray(Column[]::new))).as("k"))
                            .filter(col("k").isNotNull())
                            .groupBy(col("k.kind"), col("k.group"), col("k.source"), col("k.value"))
                            .agg(count(lit(1)))
                            .collectAsList()) {
                t.add(r.getString(0), r.getString(1), r.getString(2), r.getLong(3), r.getLong(4));
            }
            return t;
        }

        StageTally stage(String stage) {
            return stages.computeIfAbsent(stage, s -> new StageTally());
        }

        private void add(String kind, String group, String source, long value, long n) {
            switch (kind) {
                case KIND_INPUT -> {
                    byInput.computeIfAbsent(group, g -> new TreeMap<>())
                            .merge(source, n, Long::sum);
                    truncated += value * n;
                }
                case KIND_UNIQUE -> stage(group).unique.put(source, n);
                case KIND_DUPLICATE -> stage(group).duplicates.put(source, n);
                case KIND_TOO_FEW -> stage(group).tooFew.put(source, n);
                case KIND_MIN -> minNegatives.put(source, value);
                case KIND_TOO_FEW_ROWS -> tooFewRows.put(source, n);
                case KIND_FILLED -> {
                    filledRows.merge(source, n, Long::sum);
                    filledNegatives.merge(source, value * n, Long::sum);
                }
                case KIND_PER_ROW ->
                        perRow.computeIfAbsent(source, x -> new TreeMap<>(NUMERIC))
                                .put(String.valueOf(value), n);
                case KIND_NEGATIVES -> stage(group).negatives.put(String.valueOf(value), n);
                case KIND_BUCKET -> stage(group).buckets[(int) value] = n;
                default -> throw new IllegalStateException("blend: unknown count key " + kind);
            }
        }
    }

    /** A stage's rows, planned, with the counts of the rows it will write. */
    private record Planned(
            String stage,
            Dataset<Row> rows,
            StageTally out,
            int batchSize,
            BlendSummary.TrainingStage summary) {

        /** Its summary completed with the rows written. */
        BlendSummary.TrainingStage written() {
            long rows = out.rows();
            return new BlendSummary.TrainingStage(
                    summary.inBatchNegatives(),
                    summary.rowsIn(),
                    summary.drops(),
                    summary.targets(),
                    summary.path(),
                    out.unique,
                    rows,
                    out.negatives,
                    (rows + batchSize - 1) / batchSize);
        }
    }

    /** The two stages, planned; {@link #write} materialises them and completes the summary. */
    public static final class Blended {
        private final List<Planned> stages;
        private final BlendSummary summary;
        private final Dataset<Row> rejects;
        private final List<Dataset<Row>> cached;
        private final Map<String, String> paths;

        Blended(
                List<Planned> stages,
                BlendSummary summary,
                Dataset<Row> rejects,
                List<Dataset<Row>> cached,
                Map<String, String> paths) {
            this.stages = stages;
            this.summary = summary;
            this.rejects = rejects;
            this.cached = cached;
            this.paths = paths;
        }

        /**
         * Writes the tables {@code stage1} and {@code stage2} of the blend output (rows in batch
         * order) and the policy's {@code rejects} and returns the summary with the rows out per
         * source and the negatives histograms. Fails naming the inputs when a stage has no rows.
         */
        public BlendSummary write(StageContext ctx) {
            Map<String, BlendSummary.TrainingStage> written = new LinkedHashMap<>();
            try {
                for (Planned st : stages) {
                    if (st.out().rows() == 0) {
                        throw new BlendException(
                                "blend: "
                                        + st.stage()
                                        + " would be empty: no examples of its task types in "
                                        + paths.values()
                                        + " (did the mining stages write nothing?)");
                    }
                    ctx.write(st.stage(), st.rows());
                    written.put(st.stage(), st.written());
                }
                ctx.write(RejectsTable.NAME, rejects);
            } finally {
                unpersist(cached);
            }
            return new BlendSummary(
                    summary.seed(),
                    summary.inputs(),
                    summary.rowsInByInput(),
                    summary.rowsIn(),
                    summary.negativesTruncated(),
                    summary.negativesPolicy(),
                    written.get(TrainingContract.STAGE1),
                    written.get(TrainingContract.STAGE2));
        }
    }
}
