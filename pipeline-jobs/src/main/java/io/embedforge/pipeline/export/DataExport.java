package io.embedforge.pipeline.export;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.RejectsTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code export-data}: a committed blend output into the layout a Python library reads, one file
 * set per training stage, on Spark (nothing is collected but counts per source).
 *
 * <p>Order: rows are written sorted by {@code (batch_index, example_id)}, both stable, so the files
 * read in name order give the same rows in the same order whatever the partitioning, and the
 * blend's seeded mixing of sources within and across batches is kept. Dropped rows (the negatives
 * policy of {@link ExportRequest}) go to {@code rejects/<stage>/} with their reason and are counted
 * in {@code manifest.json}; read = written + dropped is checked per stage and source, and the
 * written rows are counted again from the files.
 */
public final class DataExport {
    /** The export's manifest, written last: a folder without it is an unfinished export. */
    public static final String MANIFEST = "manifest.json";

    /** The export's README (for {@code hf} the dataset card). */
    public static final String README = "README.md";

    /** Folder of the dropped rows, one subfolder per stage. */
    public static final String REJECTS = "rejects";

    /** Value of the rejects' {@code stage} column. */
    public static final String COMMAND = "export-data";

    /** FlagEmbedding turns in-batch negatives off for data folders whose name has this suffix. */
    static final String NO_IN_BATCH_NEG = "-no_in_batch_neg";

    private static final String DROP = "_drop";
    private static final List<String> STAGES =
            List.of(TrainingContract.STAGE1, TrainingContract.STAGE2);

    private DataExport() {}

    /**
     * Checks the request before Spark starts: the blend folder and its manifest, and an empty
     * {@code --out}; a user error otherwise.
     */
    public static void check(Configuration conf, ExportRequest request) {
        BlendFolder.open(conf, request.blend());
        requireEmpty(conf, request.out());
    }

    /** Runs the export; returns what the manifest records. */
    public static ExportManifest run(SparkSession spark, ExportRequest request) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        BlendFolder blend = BlendFolder.open(conf, request.blend());
        requireEmpty(conf, request.out());
        Map<String, StageExport> stages = new LinkedHashMap<>();
        for (String stage : STAGES) {
            stages.put(stage, exportStage(spark, blend, request, stage));
        }
        ExportManifest manifest = ExportManifest.of(request, blend, stages);
        ExportFiles.writeText(conf, request.out() + "/" + README, DatasetCard.render(manifest));
        ExportFiles.writeJson(conf, request.out() + "/" + MANIFEST, manifest);
        return manifest;
    }

    /** The data folder of {@code stage} in {@code format}'s layout. */
    static String folder(ExportFormat format, String stage) {
        boolean noInBatch =
                format == ExportFormat.FLAGEMBEDDING && TrainingContract.STAGE2.equals(stage);
        return noInBatch ? stage + NO_IN_BATCH_NEG : stage;
    }

    private static StageExport exportStage(
            SparkSession spark, BlendFolder blend, ExportRequest request, String stage) {
        Dataset<Row> rows = blend.read(spark, stage);
        Column n = size(col(TrainingContract.NEGATIVES));
        Dataset<Row> marked =
                rows.withColumn(
                                DROP,
                                when(
                                        n.lt(request.required()),
                                        lit(ExportRequest.DROP_FEWER_NEGATIVES)))
                        .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            String folder = folder(request.format(), stage);
            String dir = request.out() + "/" + folder;
            Dataset<Row> kept = marked.filter(col(DROP).isNull());
            kept.orderBy(col(TrainingContract.BATCH_INDEX), col(TrainingContract.EXAMPLE_ID))
                    .select(
                            Layouts.columns(request.format(), request.negatives())
                                    .toArray(Column[]::new))
                    .write()
                    .format(request.format().fileFormat())
                    .save(dir);
            rejects(marked.filter(col(DROP).isNotNull()), blend, request, stage)
                    .write()
                    .parquet(request.out() + "/" + REJECTS + "/" + stage);
            StageExport counts = counts(marked, request, folder, stage, dataBytes(spark, dir));
            long reread = spark.read().format(request.format().fileFormat()).load(dir).count();
            Reconcile.check(blend, stage, counts, reread);
            return counts;
        } finally {
            marked.unpersist();
        }
    }

    /** Reject rows in the pipeline's rejects schema: where the row was and why it was dropped. */
    private static Dataset<Row> rejects(
            Dataset<Row> dropped, BlendFolder blend, ExportRequest request, String stage) {
        Column location =
                concat(
                        lit(blend.stagePath(stage) + " example_id="),
                        col(TrainingContract.EXAMPLE_ID));
        Column detail =
                concat(
                        size(col(TrainingContract.NEGATIVES)).cast("string"),
                        lit(
                                " negatives; "
                                        + request.format().id()
                                        + " needs at least "
                                        + request.required()));
        return dropped.select(
                col(TrainingContract.SOURCE).as(Columns.SOURCE),
                col(TrainingContract.STAGE).as(Columns.SPLIT),
                lit(COMMAND).as(RejectsTable.STAGE),
                lit(stage).as(RejectsTable.INPUT),
                col(DROP).as(RejectsTable.REASON),
                location.as(RejectsTable.LOCATION),
                detail.as(RejectsTable.DETAIL),
                substring(col(TrainingContract.QUERY_TEXT), 1, RejectsTable.RAW_EXCERPT_CHARS)
                        .as(RejectsTable.RAW));
    }

    /** Read, written and dropped per source; one small aggregate (sources x reasons rows). */
    private static StageExport counts(
            Dataset<Row> marked, ExportRequest request, String folder, String stage, long bytes) {
        Column truncated =
                col(DROP)
                        .isNull()
                        .and(size(col(TrainingContract.NEGATIVES)).gt(request.negatives()))
                        .and(lit(request.format() == ExportFormat.SENTENCE_TRANSFORMERS));
        List<Row> groups =
                marked.groupBy(col(TrainingContract.SOURCE), col(DROP))
                        .agg(
                                count(lit(1)).as("n"),
                                sum(when(truncated, 1L).otherwise(0L)).as("t"),
                                countDistinct(col(TrainingContract.EXAMPLE_ID)).as("ids"))
                        .collectAsList();
        Map<String, Long> read = new TreeMap<>();
        Map<String, Long> written = new TreeMap<>();
        Map<String, Map<String, Long>> dropped = new TreeMap<>();
        long rows = 0;
        long cut = 0;
        for (Row g : groups) {
            String source = g.getString(0);
            String reason = g.isNullAt(1) ? null : g.getString(1);
            long count = g.getLong(2);
            read.merge(source, count, Long::sum);
            if (reason == null) {
                written.put(source, count);
                rows += count;
                cut += g.getLong(3);
            } else {
                dropped.computeIfAbsent(reason, k -> new TreeMap<>()).put(source, count);
            }
            if (g.getLong(4) != count) {
                throw new ConfigException(
                        "--blend: "
                                + stage
                                + " has duplicate example_id values for source '"
                                + source
                                + "' (the contract makes them unique within a stage)");
            }
        }
        read.keySet().forEach(s -> written.putIfAbsent(s, 0L));
        return new StageExport(
                folder, request.format().fileGlob(), rows, read, written, dropped, cut, bytes);
    }

    /** Bytes of the data files in {@code dir} (Spark's part files; not its markers). */
    private static long dataBytes(SparkSession spark, String dir) {
        try {
            Path path = new Path(dir);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            long bytes = 0;
            for (var status : fs.listStatus(path)) {
                String name = status.getPath().getName();
                if (status.isFile() && !name.startsWith(".") && !name.startsWith("_")) {
                    bytes += status.getLen();
                }
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static void requireEmpty(Configuration conf, String out) {
        try {
            Path path = new Path(out);
            FileSystem fs = path.getFileSystem(conf);
            if (fs.exists(path)
                    && (!fs.getFileStatus(path).isDirectory() || fs.listStatus(path).length > 0)) {
                throw new ConfigException(
                        "--out "
                                + out
                                + " exists and is not an empty folder; give a new folder or delete it");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check --out " + out, e);
        }
    }
}
