package io.embedforge.pipeline.stage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.manifest.ManifestWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Everything a running stage may touch, and every path it may use: its output folder (a temporary
 * folder the runner commits by rename), the committed outputs of the stages it declares in {@link
 * StageId#reads()}, the profile, the Spark session and the log. Stages build no paths themselves;
 * reading a stage they do not declare fails at once, so the registry's dependencies are the real
 * ones (and what fingerprints and the Airflow DAG are built from). Driver only.
 */
public final class StageContext {
    private final SparkSession spark;
    private final PipelineConfig config;
    private final StageId stage;
    private final String outRoot;
    private final String workRoot;
    private final PrintStream log;

    /**
     * @param spark the session the stage runs in
     * @param config the profile (null only for tests of stages that do not read it)
     * @param stage the running stage
     * @param outRoot the output root ({@code --out}): committed outputs are {@code
     *     <outRoot>/<stage>}
     * @param workRoot where this stage writes: its output is {@code <workRoot>/<stage>} (the
     *     runner's temporary root, or {@code outRoot} for {@link #direct})
     * @param log progress lines
     */
    public StageContext(
            SparkSession spark,
            PipelineConfig config,
            StageId stage,
            String outRoot,
            String workRoot,
            PrintStream log) {
        this.spark = Objects.requireNonNull(spark, "spark");
        this.config = config;
        this.stage = Objects.requireNonNull(stage, "stage");
        this.outRoot = trim(outRoot);
        this.workRoot = trim(workRoot);
        this.log = log;
    }

    /**
     * A context whose stage writes straight into {@code <outRoot>/<stage>}, without the runner's
     * commit or skip logic: for tests and benchmarks that call one stage alone.
     */
    public static StageContext direct(
            SparkSession spark, PipelineConfig config, StageId stage, String outRoot) {
        return new StageContext(spark, config, stage, outRoot, outRoot, System.out);
    }

    public SparkSession spark() {
        return spark;
    }

    /** The profile; fails for a test context built without one. */
    public PipelineConfig config() {
        if (config == null) {
            throw new IllegalStateException("stage " + stage + " needs the profile; none given");
        }
        return config;
    }

    public StageId stage() {
        return stage;
    }

    public PrintStream log() {
        return log;
    }

    /** The Spark local property naming the step of the jobs a stage submits. */
    public static final String STEP_PROPERTY = "embedforge.step";

    /**
     * Names the step the Spark jobs this thread submits from now on belong to (e.g. {@code "writing
     * examples"}): what progress lines call the running part of the stage.
     */
    public void step(String name) {
        spark.sparkContext().setLocalProperty(STEP_PROPERTY, name);
    }

    public Configuration hadoop() {
        return spark.sparkContext().hadoopConfiguration();
    }

    /** This stage's output folder (temporary until the runner commits it). */
    public String output() {
        return join(workRoot, stage.folder());
    }

    /** A table or file of this stage's output (or a path below it: {@code table, partition}). */
    public String output(String... names) {
        return join(output(), names);
    }

    /** Where this stage's output will be once committed ({@code <out>/<stage>}). */
    public String committed() {
        return join(outRoot, stage.folder());
    }

    /** The committed output folder of {@code upstream}, one of the stages this stage reads. */
    public String input(StageId upstream) {
        if (!stage.reads().contains(upstream)) {
            throw new IllegalStateException(
                    "stage "
                            + stage
                            + " reads the output of "
                            + upstream
                            + " but does not declare it in StageId.reads() "
                            + stage.reads());
        }
        return join(outRoot, upstream.folder());
    }

    /** A table of an upstream stage's committed output. */
    public String input(StageId upstream, String table) {
        return join(input(upstream), table);
    }

    /** A table of an upstream stage, as written. */
    public Dataset<Row> read(StageId upstream, String table) {
        return spark.read().parquet(input(upstream, table));
    }

    /** A table of an upstream stage with {@code schema}, or an empty frame when it is absent. */
    public Dataset<Row> readOrEmpty(StageId upstream, String table, StructType schema) {
        String path = input(upstream, table);
        if (exists(path)) {
            return spark.read().schema(schema).parquet(path);
        }
        return spark.createDataFrame(List.of(), schema);
    }

    /** Writes {@code rows} as the Parquet table {@code table} of this stage (overwriting). */
    public void write(String table, Dataset<Row> rows) {
        step("writing " + table);
        rows.write().mode(SaveMode.Overwrite).parquet(output(table));
    }

    /** Writes a file of this stage's output. */
    public void writeFile(String name, byte[] bytes) {
        String uri = output(name);
        try {
            Path p = new Path(uri);
            try (OutputStream out = p.getFileSystem(hadoop()).create(p, true)) {
                out.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("stage " + stage + ": cannot write " + uri, e);
        }
    }

    /** The run-wide manifest ({@code <out>/manifest.json}), or null when there is none. */
    public ObjectNode runManifest() {
        return ManifestWriter.read(hadoop(), join(outRoot, ManifestWriter.FILE_NAME));
    }

    /** Whether a path exists. */
    public boolean exists(String path) {
        try {
            Path p = new Path(path);
            return p.getFileSystem(hadoop()).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path, e);
        }
    }

    /** {@code root/part/part...}: the one place paths are joined. */
    public static String join(String root, String... parts) {
        StringBuilder sb = new StringBuilder(trim(root));
        for (String p : parts) {
            sb.append('/').append(p);
        }
        return sb.toString();
    }

    private static String trim(String root) {
        String r = Objects.requireNonNull(root, "root");
        while (r.length() > 1 && r.endsWith("/")) {
            r = r.substring(0, r.length() - 1);
        }
        return r;
    }
}
