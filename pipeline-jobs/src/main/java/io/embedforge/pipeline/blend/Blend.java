package io.embedforge.pipeline.blend;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.slice;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.bm25.MineBm25;
import io.embedforge.pipeline.bm25.NegativesTable;
import io.embedforge.pipeline.common.SeededHash;
import io.embedforge.pipeline.dense.DenseMiningJob;
import io.embedforge.pipeline.labels.LabelNegatives;
import io.embedforge.pipeline.schema.TrainingExamplesTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import scala.Tuple2;

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
 *   <li>Exact duplicates of (query, positive) across sources are removed (the first by (source,
 *       example id) stays) and counted per source.
 *   <li>Per-source mixing: {@code min(cap, weight x rows)} rows, the ones with the smallest {@code
 *       SeededHash.rank(seed, example_id, "sample")}.
 *   <li>Global shuffle: sort by {@code SeededHash.rank(seed, example_id, stage)} (ties by source,
 *       id), then {@code batch_index = position / batch_size}. Sorting by a hash of the id, not by
 *       partition order, makes the output identical for any partitioning, and batches are random
 *       draws over all sources, so they mix sources in proportion to their sizes.
 * </ol>
 *
 * <p>Planned on the driver; every row-level step runs on executors. The driver receives only
 * per-source counts (for caps and the manifest).
 */
public final class Blend {
    /** Stage name in logs, the manifest and errors. */
    public static final String STAGE = "blend";

    /** Folder of the stage under the output root. */
    public static final String STAGE_DIR = "blend";

    /** Drop reason: (query, positive) already present from another source or example. */
    public static final String DROP_DUPLICATE = "duplicate_query_positive";

    /** Drop reason: the source's cap or weight left the row out. */
    public static final String DROP_OVER_CAP = "over_cap";

    /** Column the label-negatives stage adds ({@code title} / {@code abstract}). */
    static final String QUERY_FIELD = LabelNegatives.QUERY_FIELD;

    /** Value of {@link #QUERY_FIELD} for P2P clustering queries. */
    static final String P2P_FIELD = "abstract";

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

    /** An input: the examples a mining stage wrote. */
    public record Input(String stage, String dir) {
        /** Path of the examples under {@code outRoot}. */
        public String path(String outRoot) {
            return outRoot + "/" + dir + "/" + NegativesTable.EXAMPLES_DIR;
        }
    }

    /** The stages blend reads, in a fixed order. */
    public static final List<Input> INPUTS =
            List.of(
                    new Input(DenseMiningJob.STAGE, DenseMiningJob.STAGE_DIR),
                    new Input(MineBm25.STAGE, MineBm25.STAGE_DIR),
                    new Input(LabelNegatives.STAGE, LabelNegatives.STAGE_DIR));

    private static final String INPUT = "input";
    private static final String DUP_RANK = "dup_rank";
    private static final String SAMPLE_RANK = "sample_rank";
    private static final String SHUFFLE = "shuffle_key";

    private Blend() {}

    /**
     * Reads the mining stages' examples under {@code outRoot}, blends, writes {@code
     * outputRoot/blend/{stage1,stage2}} and returns the summary. {@code outputRoot} may differ from
     * {@code outRoot} (the runner writes to a temporary root, then commits).
     */
    public static Map<String, Object> run(
            SparkSession spark,
            String outRoot,
            String outputRoot,
            Map<String, SourceInfo> sources,
            BlendParams p,
            long profileSeed) {
        Map<String, Dataset<Row>> inputs = new LinkedHashMap<>();
        for (Input in : INPUTS) {
            inputs.put(in.stage(), read(spark, in, in.path(outRoot)));
        }
        return apply(inputs, sources, p, profileSeed, paths(outRoot))
                .write(outputRoot + "/" + STAGE_DIR);
    }

    private static Map<String, String> paths(String outRoot) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Input in : INPUTS) {
            m.put(in.stage(), in.path(outRoot));
        }
        return m;
    }

    /** Reads one input, failing with the stage and path when it is missing or lacks columns. */
    static Dataset<Row> read(SparkSession spark, Input in, String path) {
        try {
            Path hp = new Path(path);
            FileSystem fs = hp.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(hp)) {
                throw new BlendException(
                        "blend: input of stage "
                                + in.stage()
                                + " is missing: "
                                + path
                                + " (run `embedforge "
                                + in.stage()
                                + "` first)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("blend: cannot check " + path, e);
        }
        Dataset<Row> df;
        try {
            df = spark.read().parquet(path);
        } catch (RuntimeException e) {
            throw new BlendException(
                    "blend: input of stage "
                            + in.stage()
                            + " at "
                            + path
                            + " is not readable Parquet: "
                            + e.getMessage());
        }
        checkColumns(in.stage(), path, df);
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
     * for errors (may be empty).
     */
    public static Blended apply(
            Map<String, Dataset<Row>> inputs,
            Map<String, SourceInfo> sources,
            BlendParams p,
            long profileSeed,
            Map<String, String> paths) {
        long seed = p.seedOr(profileSeed);
        SparkSession spark = inputs.values().iterator().next().sparkSession();
        Dataset<Row> all = null;
        for (Map.Entry<String, Dataset<Row>> e : inputs.entrySet()) {
            Dataset<Row> df = e.getValue();
            checkColumns(e.getKey(), paths.getOrDefault(e.getKey(), "(inline)"), df);
            Column queryField =
                    Arrays.asList(df.columns()).contains(QUERY_FIELD)
                            ? col(QUERY_FIELD)
                            : lit(null).cast(DataTypes.StringType);
            Dataset<Row> s =
                    df.select(
                            lit(e.getKey()).as(INPUT),
                            col(TrainingContract.SOURCE),
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

        // Sources of the inputs must be in the profile: a small distinct set reaches the driver.
        Map<String, Long> rowsIn = new TreeMap<>();
        Map<String, Map<String, Long>> rowsInByInput = new TreeMap<>();
        for (Row r :
                all.groupBy(INPUT, TrainingContract.SOURCE)
                        .agg(count(lit(1)).as("n"))
                        .collectAsList()) {
            String input = r.getString(0);
            String source = r.getString(1);
            long n = r.getLong(2);
            if (!sources.containsKey(source)) {
                throw new BlendException(
                        "blend: source '"
                                + source
                                + "' in the output of stage "
                                + input
                                + " at "
                                + paths.getOrDefault(input, "(inline)")
                                + " is not a source of the profile "
                                + sources.keySet());
            }
            rowsIn.merge(source, n, Long::sum);
            rowsInByInput.computeIfAbsent(input, k -> new TreeMap<>()).put(source, n);
        }

        List<Row> infoRows = new ArrayList<>();
        for (SourceInfo s : sources.values()) {
            infoRows.add(
                    RowFactory.create(
                            s.source(), s.instruction(), s.p2pInstruction(), s.symmetric()));
        }
        Dataset<Row> info =
                spark.createDataFrame(
                        infoRows,
                        new org.apache.spark.sql.types.StructType()
                                .add("i_source", DataTypes.StringType, false)
                                .add("i_instruction", DataTypes.StringType, false)
                                .add("i_p2p", DataTypes.StringType, true)
                                .add("i_symmetric", DataTypes.BooleanType, false));
        Column instruction =
                when(
                                col(QUERY_FIELD).equalTo(P2P_FIELD).and(col("i_p2p").isNotNull()),
                                col("i_p2p"))
                        .otherwise(col("i_instruction"));
        int k = p.maxNegatives();
        Dataset<Row> prepared =
                all.join(broadcast(info), col(TrainingContract.SOURCE).equalTo(col("i_source")))
                        .select(
                                col(INPUT),
                                col(TrainingContract.EXAMPLE_ID),
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
                                slice(col(TrainingContract.NEGATIVES), 1, k)
                                        .as(TrainingContract.NEGATIVES),
                                slice(col(TrainingContract.NEGATIVE_SCORES), 1, k)
                                        .as(TrainingContract.NEGATIVE_SCORES),
                                col(TrainingContract.NEGATIVE_MINER),
                                when(col("i_symmetric"), instruction)
                                        .otherwise(lit(null).cast(DataTypes.StringType))
                                        .as(TrainingContract.DOCUMENT_INSTRUCTION),
                                size(col(TrainingContract.NEGATIVES)).as("negatives_in"))
                        .persist();

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("stage", STAGE);
        summary.put("seed", seed);
        summary.put("params", p);
        summary.put("inputs", paths);
        summary.put("rows_in_by_input", rowsInByInput);
        summary.put("rows_in", rowsIn);
        summary.put("negatives_truncated", prepared.filter(col("negatives_in").gt(k)).count());

        Dataset<Row> stage1 =
                stage(
                        prepared.filter(
                                col(TrainingContract.TASK_TYPE)
                                        .isin(p.stage1TaskTypes().toArray())),
                        TrainingContract.STAGE1,
                        true,
                        seed,
                        p,
                        summary);
        Dataset<Row> stage2 = stage(prepared, TrainingContract.STAGE2, false, seed, p, summary);
        return new Blended(stage1, stage2, summary, prepared, paths);
    }

    /**
     * Dedup, caps, shuffle and batch numbers of one stage; records its counts in {@code summary}.
     */
    private static Dataset<Row> stage(
            Dataset<Row> rows,
            String stage,
            boolean inBatch,
            long seed,
            BlendParams p,
            Map<String, Object> summary) {
        SparkSession spark = rows.sparkSession();
        UserDefinedFunction rank =
                udf(
                        (UDF2<String, String, Long>) (id, salt) -> SeededHash.rank(seed, id, salt),
                        DataTypes.LongType);

        // 1. Exact (query, positive) duplicates: the first by (source, example id) stays.
        Dataset<Row> ranked =
                rows.withColumn(
                        DUP_RANK,
                        row_number()
                                .over(
                                        Window.partitionBy(
                                                        col(TrainingContract.QUERY),
                                                        col(TrainingContract.POSITIVE))
                                                .orderBy(
                                                        col(TrainingContract.SOURCE),
                                                        col(TrainingContract.EXAMPLE_ID),
                                                        col(INPUT))));
        Dataset<Row> unique = ranked.filter(col(DUP_RANK).equalTo(1)).drop(DUP_RANK).persist();
        Map<String, Long> duplicates = countBySource(ranked.filter(col(DUP_RANK).gt(1)));
        Map<String, Long> afterDedup = countBySource(unique);

        // 2. Caps and weights, exact per source: the smallest seeded ranks stay.
        Map<String, Long> targets = new TreeMap<>();
        Map<String, Long> overCap = new TreeMap<>();
        boolean anyCut = false;
        for (Map.Entry<String, Long> e : afterDedup.entrySet()) {
            long t = p.target(e.getKey(), e.getValue());
            targets.put(e.getKey(), t);
            if (t < e.getValue()) {
                anyCut = true;
                overCap.put(e.getKey(), e.getValue() - t);
            }
        }
        Dataset<Row> kept = unique;
        if (anyCut) {
            List<Row> t = new ArrayList<>();
            targets.forEach((s, n) -> t.add(RowFactory.create(s, n)));
            Dataset<Row> tdf =
                    spark.createDataFrame(
                            t,
                            new org.apache.spark.sql.types.StructType()
                                    .add("t_source", DataTypes.StringType, false)
                                    .add("t_target", DataTypes.LongType, false));
            kept =
                    unique.withColumn(
                                    SAMPLE_RANK,
                                    row_number()
                                            .over(
                                                    Window.partitionBy(col(TrainingContract.SOURCE))
                                                            .orderBy(
                                                                    rank.apply(
                                                                            col(
                                                                                    TrainingContract
                                                                                            .EXAMPLE_ID),
                                                                            lit("sample")),
                                                                    col(
                                                                            TrainingContract
                                                                                    .EXAMPLE_ID))))
                            .join(
                                    broadcast(tdf),
                                    col(TrainingContract.SOURCE).equalTo(col("t_source")))
                            .filter(col(SAMPLE_RANK).leq(col("t_target")))
                            .drop(SAMPLE_RANK, "t_source", "t_target");
        }

        // 3. Seeded global shuffle, then consecutive batch numbers over the sorted order.
        Dataset<Row> sorted =
                kept.withColumn(SHUFFLE, rank.apply(col(TrainingContract.EXAMPLE_ID), lit(stage)))
                        .orderBy(
                                col(SHUFFLE),
                                col(TrainingContract.SOURCE),
                                col(TrainingContract.EXAMPLE_ID))
                        .select(
                                col(TrainingContract.EXAMPLE_ID),
                                lit(stage).as(TrainingContract.STAGE),
                                col(TrainingContract.SOURCE),
                                col(TrainingContract.TASK_TYPE),
                                col(TrainingContract.INSTRUCTION),
                                col(TrainingContract.QUERY),
                                col(TrainingContract.QUERY_TEXT),
                                col(TrainingContract.POSITIVE),
                                col(TrainingContract.NEGATIVES),
                                col(TrainingContract.NEGATIVE_SCORES),
                                col(TrainingContract.NEGATIVE_MINER),
                                col(TrainingContract.DOCUMENT_INSTRUCTION),
                                lit(inBatch).as(TrainingContract.IN_BATCH_NEGATIVES));
        long batch = p.batchSize();
        JavaRDD<Row> numbered =
                sorted.javaRDD()
                        .zipWithIndex()
                        .map(
                                (Function<Tuple2<Row, Long>, Row>)
                                        t -> withBatch(t._1(), t._2() / batch));
        Dataset<Row> out = spark.createDataFrame(numbered, TrainingExamplesTable.SCHEMA);

        Map<String, Object> s = new LinkedHashMap<>();
        s.put("in_batch_negatives", inBatch);
        s.put("rows_in", afterDedupPlus(afterDedup, duplicates));
        Map<String, Map<String, Long>> drops = new TreeMap<>();
        drops.put(DROP_DUPLICATE, duplicates);
        drops.put(DROP_OVER_CAP, overCap);
        s.put("drops", drops);
        s.put("targets", targets);
        summary.put(stage, s);
        unique.unpersist(false);
        return out;
    }

    private static Map<String, Long> afterDedupPlus(
            Map<String, Long> afterDedup, Map<String, Long> duplicates) {
        Map<String, Long> m = new TreeMap<>(afterDedup);
        duplicates.forEach((k, v) -> m.merge(k, v, Long::sum));
        return m;
    }

    private static Row withBatch(Row r, long batchIndex) {
        Object[] v = new Object[r.length() + 1];
        for (int i = 0; i < r.length(); i++) {
            v[i] = r.get(i);
        }
        v[r.length()] = batchIndex;
        return RowFactory.create(v);
    }

    static Map<String, Long> countBySource(Dataset<Row> df) {
        Map<String, Long> m = new TreeMap<>();
        for (Row r : df.groupBy(TrainingContract.SOURCE).agg(count(lit(1))).collectAsList()) {
            m.put(r.getString(0), r.getLong(1));
        }
        return m;
    }

    /** The two stages, planned; {@link #write} materialises them and completes the summary. */
    public static final class Blended {
        private final Dataset<Row> stage1;
        private final Dataset<Row> stage2;
        private final Map<String, Object> summary;
        private final Dataset<Row> prepared;
        private final Map<String, String> paths;

        Blended(
                Dataset<Row> stage1,
                Dataset<Row> stage2,
                Map<String, Object> summary,
                Dataset<Row> prepared,
                Map<String, String> paths) {
            this.stage1 = stage1;
            this.stage2 = stage2;
            this.summary = summary;
            this.prepared = prepared;
            this.paths = paths;
        }

        public Dataset<Row> stage1() {
            return stage1;
        }

        public Dataset<Row> stage2() {
            return stage2;
        }

        /**
         * Writes {@code stageDir/stage1} and {@code stageDir/stage2} (rows in batch order) and
         * returns the summary with the rows out per source and the negatives histograms. Fails
         * naming the inputs when a stage has no rows.
         */
        public Map<String, Object> write(String stageDir) {
            writeStage(stage1, TrainingContract.STAGE1, stageDir + "/" + TrainingContract.STAGE1);
            writeStage(stage2, TrainingContract.STAGE2, stageDir + "/" + TrainingContract.STAGE2);
            prepared.unpersist(false);
            return summary;
        }

        @SuppressWarnings("unchecked")
        private void writeStage(Dataset<Row> df, String stage, String path) {
            Dataset<Row> rows = df.persist();
            try {
                Map<String, Long> out = countBySource(rows);
                if (out.isEmpty()) {
                    throw new BlendException(
                            "blend: "
                                    + stage
                                    + " would be empty: no examples of its task types in "
                                    + paths.values()
                                    + " (did the mining stages write nothing?)");
                }
                rows.write().mode(SaveMode.Overwrite).parquet(path);
                Map<String, Object> s = (Map<String, Object>) summary.get(stage);
                s.put("path", path);
                s.put("rows_out", out);
                s.put("rows", out.values().stream().mapToLong(Long::longValue).sum());
                Map<String, Long> hist = new TreeMap<>();
                for (Row r :
                        rows.groupBy(size(col(TrainingContract.NEGATIVES)).as("n"))
                                .agg(count(lit(1)))
                                .collectAsList()) {
                    hist.put(String.valueOf(r.getInt(0)), r.getLong(1));
                }
                s.put("negatives_histogram", hist);
                long batches =
                        rows.agg(
                                        org.apache.spark.sql.functions.max(
                                                col(TrainingContract.BATCH_INDEX)))
                                .first()
                                .getLong(0);
                s.put("batches", batches + 1);
            } finally {
                rows.unpersist(false);
            }
        }
    }
}
