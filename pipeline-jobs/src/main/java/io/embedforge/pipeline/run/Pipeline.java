package io.embedforge.pipeline.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.blend.Blend;
import io.embedforge.pipeline.blend.BlendParams;
import io.embedforge.pipeline.blend.SourceInfo;
import io.embedforge.pipeline.bm25.Bm25Params;
import io.embedforge.pipeline.bm25.MineBm25;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.decontam.DecontamParams;
import io.embedforge.pipeline.decontam.Decontaminate;
import io.embedforge.pipeline.dense.DenseMiningJob;
import io.embedforge.pipeline.dense.DenseParams;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.labels.LabelNegatives;
import io.embedforge.pipeline.labels.LabelParams;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.report.Report;
import io.embedforge.pipeline.report.ReportParams;
import io.embedforge.pipeline.schema.NegativesTable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The stages of the pipeline, in order, and how each is wired to its inputs:
 *
 * <pre>
 * ingest -> decontaminate -> mine-dense (retrieval; corpus from ingest)
 *                         -> mine-bm25 (sts)
 *                         -> label-negatives (classification, clustering)
 *                                 -> blend -> report
 * </pre>
 *
 * Decontamination feeds the miners: they read the filtered training tables under {@code
 * <out>/decontaminate/}, so no evaluation text reaches a query, a positive or a negative drawn from
 * the training tables; the dense miner reads the corpus from {@code <out>/ingest/corpus} (not
 * rewritten by decontamination). Each stage's fingerprint hashes its settings and the fingerprints
 * of the stages it reads, so a change upstream re-runs everything downstream. Driver only.
 */
public final class Pipeline {
    public static final String INGEST = IngestJob.STAGE;
    public static final String DECONTAMINATE = Decontaminate.STAGE;
    public static final String MINE_DENSE = DenseMiningJob.STAGE;
    public static final String MINE_BM25 = MineBm25.STAGE;
    public static final String LABEL_NEGATIVES = LabelNegatives.STAGE;
    public static final String BLEND = Blend.STAGE;
    public static final String REPORT = Report.STAGE;

    /** Every stage in execution order. */
    public static final List<String> STAGES =
            List.of(INGEST, DECONTAMINATE, MINE_DENSE, MINE_BM25, LABEL_NEGATIVES, BLEND, REPORT);

    /** Output folder of each stage under the output root. */
    public static final Map<String, String> DIRS =
            Map.of(
                    INGEST, IngestJob.STAGE,
                    DECONTAMINATE, Decontaminate.STAGE_DIR,
                    MINE_DENSE, DenseMiningJob.STAGE_DIR,
                    MINE_BM25, MineBm25.STAGE_DIR,
                    LABEL_NEGATIVES, LabelNegatives.STAGE_DIR,
                    BLEND, Blend.STAGE_DIR,
                    REPORT, Report.STAGE_DIR);

    /** The stages each stage reads. */
    public static final Map<String, List<String>> UPSTREAM =
            Map.of(
                    INGEST, List.of(),
                    DECONTAMINATE, List.of(INGEST),
                    MINE_DENSE, List.of(INGEST, DECONTAMINATE),
                    MINE_BM25, List.of(DECONTAMINATE),
                    LABEL_NEGATIVES, List.of(DECONTAMINATE),
                    BLEND, List.of(MINE_DENSE, MINE_BM25, LABEL_NEGATIVES),
                    REPORT,
                            List.of(
                                    INGEST,
                                    DECONTAMINATE,
                                    MINE_DENSE,
                                    MINE_BM25,
                                    LABEL_NEGATIVES,
                                    BLEND));

    private final SparkSession spark;
    private final PipelineConfig config;
    private final String out;
    private final StageRunner runner;
    private final PrintStream log;

    public Pipeline(
            SparkSession spark, PipelineConfig config, String out, boolean force, PrintStream log) {
        this.spark = spark;
        this.config = config;
        this.out = out;
        this.log = log;
        this.runner = new StageRunner(spark, config, out, force, log);
    }

    /** Runs every stage in order; returns what happened to each. */
    public List<StageRunner.Outcome> runAll() {
        validateParams();
        List<StageRunner.Outcome> done = new ArrayList<>();
        for (String s : STAGES) {
            done.add(run(s));
        }
        return done;
    }

    /** Parses every stage's params before any Spark work, so a bad key fails at once. */
    public void validateParams() {
        params(DECONTAMINATE);
        params(MINE_DENSE);
        params(MINE_BM25);
        params(LABEL_NEGATIVES);
        params(BLEND);
        params(REPORT);
    }

    /** The resolved params record of a stage ({@code ingest}: null, it reads the sources). */
    public Object params(String stage) {
        return switch (stage) {
            case INGEST -> null;
            case DECONTAMINATE ->
                    StageParams.parse(config, stage, DecontamParams.class, false)
                            .withEvalSourcesOfSameDataset(datasetOfInstance());
            case MINE_DENSE -> StageParams.parse(config, stage, DenseParams.class, true);
            case MINE_BM25 -> StageParams.parse(config, stage, Bm25Params.class, false);
            case LABEL_NEGATIVES -> StageParams.parse(config, stage, LabelParams.class, true);
            case BLEND -> StageParams.parse(config, stage, BlendParams.class, true);
            case REPORT -> StageParams.parse(config, stage, ReportParams.class, true);
            default -> throw new IllegalArgumentException("unknown stage " + stage);
        };
    }

    private Map<String, String> datasetOfInstance() {
        Map<String, String> datasets = new TreeMap<>();
        config.sources().forEach(s -> datasets.put(s.name(), s.dataset()));
        return datasets;
    }

    /** Runs (or skips) one stage; its upstream stages must have committed outputs. */
    public StageRunner.Outcome run(String stage) {
        Object params = params(stage);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> parts = new ArrayList<>();
        parts.add(stage);
        parts.add(Long.toString(config.seed()));
        parts.add(json(params));
        Map<String, Object> inputs = new LinkedHashMap<>();
        for (String up : UPSTREAM.get(stage)) {
            String fp = runner.fingerprintOf(DIRS.get(up));
            String path = out + "/" + DIRS.get(up);
            if (fp == null) {
                throw new IllegalStateException(
                        "stage "
                                + stage
                                + " needs the committed output of stage "
                                + up
                                + " at "
                                + path
                                + " (none, or a run stopped before committing it): run `embedforge "
                                + up
                                + "` or `embedforge run`");
            }
            parts.add(up + "=" + fp);
            Map<String, Object> in = new LinkedHashMap<>();
            in.put("path", path);
            in.put("fingerprint", fp);
            in.putAll(InputListing.totals(InputListing.list(conf, List.of(path), false)));
            inputs.put(up, in);
        }
        if (INGEST.equals(stage)) {
            parts.add(config.resolved().toString());
            List<String> paths = new ArrayList<>();
            for (SourceConfig s : config.sources()) {
                for (InputSpec in : s.inputs()) {
                    paths.addAll(in.allPaths());
                }
            }
            List<InputListing.FileEntry> files = InputListing.list(conf, paths, true);
            parts.add(json(files));
            inputs.put("files", files);
            inputs.put("totals", InputListing.totals(files));
        }
        if (BLEND.equals(stage) || REPORT.equals(stage)) {
            parts.add(json(SourceInfo.of(config)));
        }
        String fingerprint = StageRunner.hash(parts);
        StageRunner.Outcome o =
                runner.run(
                        stage,
                        DIRS.get(stage),
                        fingerprint,
                        params,
                        inputs,
                        tmp -> body(stage, params, tmp));
        if (!o.skipped()) {
            logRows(stage);
        }
        return o;
    }

    private Object body(String stage, Object params, String tmp) {
        String ingest = out + "/" + DIRS.get(INGEST);
        String decontam = out + "/" + DIRS.get(DECONTAMINATE);
        return switch (stage) {
            case INGEST -> IngestJob.run(spark, config, tmp + "/" + IngestJob.STAGE);
            case DECONTAMINATE -> Decontaminate.run(spark, ingest, tmp, (DecontamParams) params);
            case MINE_DENSE ->
                    DenseMiningJob.run(spark, decontam, ingest, tmp, (DenseParams) params);
            case MINE_BM25 -> MineBm25.run(spark, decontam, tmp, (Bm25Params) params);
            case LABEL_NEGATIVES -> LabelNegatives.run(spark, decontam, tmp, (LabelParams) params);
            case BLEND ->
                    Blend.run(
                            spark,
                            out,
                            tmp,
                            SourceInfo.of(config),
                            (BlendParams) params,
                            config.seed());
            case REPORT -> Report.run(spark, out, tmp, (ReportParams) params);
            default -> throw new IllegalArgumentException("unknown stage " + stage);
        };
    }

    /** Rows of the main outputs, read back from the committed Parquet (a metadata count). */
    private void logRows(String stage) {
        List<String> tables =
                switch (stage) {
                    case MINE_DENSE, MINE_BM25, LABEL_NEGATIVES ->
                            List.of(NegativesTable.EXAMPLES_DIR, NegativesTable.REJECTS_DIR);
                    case BLEND -> List.of(TrainingContract.STAGE1, TrainingContract.STAGE2);
                    default -> List.of();
                };
        StringBuilder sb = new StringBuilder();
        for (String t : tables) {
            String path = out + "/" + DIRS.get(stage) + "/" + t;
            if (exists(path)) {
                sb.append(' ').append(t).append('=').append(spark.read().parquet(path).count());
            }
        }
        if (sb.length() > 0) {
            log.printf(Locale.ROOT, "   %-16s rows:%s%n", stage, sb);
        }
    }

    private boolean exists(String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path, e);
        }
    }

    private static String json(Object o) {
        try {
            return ManifestWriter.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + o, e);
        }
    }
}
