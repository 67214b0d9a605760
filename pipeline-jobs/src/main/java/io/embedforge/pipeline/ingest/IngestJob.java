package io.embedforge.pipeline.ingest;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.schema.CanonicalTables;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.stage.NoParams;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StageOutput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ingest} stage: every configured source, read in its native format, validated and
 * written as the canonical Parquet tables ({@link CanonicalTables}) under {@code <out>/ingest/},
 * with every bad record in {@code <out>/ingest/rejects}. It has no settings block of its own: it
 * reads the profile's sources, and its fingerprint covers the resolved sources, the split size and
 * every input file by content ({@link #inputs}). The driver plans inputs and gathers counts (small
 * aggregates); reading, validation, dedup and writing run on executors.
 */
public final class IngestJob implements Stage<NoParams> {
    private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

    @Override
    public StageId id() {
        return StageId.INGEST;
    }

    @Override
    public Class<NoParams> paramsType() {
        return NoParams.class;
    }

    /**
     * What ingest reads besides nothing upstream: every input file and every {@code
     * labels.values_file} (by content), and of the profile only the resolved sources and the split
     * size; not {@code stages.*}, not the profile's own path.
     */
    @Override
    public Inputs inputs(PipelineConfig config, NoParams params) {
        List<String> paths = new ArrayList<>();
        for (SourceConfig s : config.sources()) {
            for (InputSpec in : s.inputs()) {
                paths.addAll(in.allPaths());
            }
        }
        Map<String, Object> profile = new LinkedHashMap<>();
        profile.put("split_size_bytes", config.splitSizeBytes());
        JsonNode sources = config.resolved().path("sources");
        profile.put("sources", sources);
        sources.forEach(
                s -> {
                    JsonNode valuesFile = s.path("labels").path("values_file");
                    if (valuesFile.isTextual()) {
                        paths.add(valuesFile.asText());
                    }
                });
        return new Inputs(paths, profile);
    }

    @Override
    public IngestReport run(StageContext ctx, NoParams params) {
        return ingest(ctx);
    }

    /**
     * Before Spark: every input of every source matches files and every CSV header names the mapped
     * columns ({@link InputPlanner}; a listing and first lines, no data read).
     */
    @Override
    public void check(
            PipelineConfig config, NoParams params, org.apache.hadoop.conf.Configuration hadoop) {
        for (SourceConfig source : config.sources()) {
            for (InputSpec in : source.inputs()) {
                InputPlanner.plan(source, in, hadoop, config.splitSizeBytes());
            }
        }
    }

    /** Plans every input of every source; fails before any Spark job when an input is missing. */
    public static Map<String, Map<String, InputPlanner.Plan>> plan(
            SparkSession spark, PipelineConfig config) {
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        Map<String, Map<String, InputPlanner.Plan>> plans = new LinkedHashMap<>();
        for (SourceConfig source : config.sources()) {
            Map<String, InputPlanner.Plan> byRole = new LinkedHashMap<>();
            for (InputSpec in : source.inputs()) {
                byRole.put(in.role(), InputPlanner.plan(source, in, conf, config.splitSizeBytes()));
            }
            plans.put(source.name(), byRole);
        }
        return plans;
    }

    /** Reads, validates and writes every source of the context's profile; returns the counts. */
    public static IngestReport ingest(StageContext ctx) {
        SparkSession spark = ctx.spark();
        PipelineConfig config = ctx.config();
        Map<String, Map<String, InputPlanner.Plan>> plans = plan(spark, config);
        HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        List<IngestTransform.SourceInputs> inputs = new ArrayList<>();
        for (SourceConfig source : config.sources()) {
            Map<String, JavaRDD<ExtractedRecord>> byRole = new LinkedHashMap<>();
            for (InputSpec in : source.inputs()) {
                byRole.put(
                        in.role(),
                        SourceExtractor.extract(
                                spark, in, plans.get(source.name()).get(in.role()), conf));
            }
            inputs.add(new IngestTransform.SourceInputs(source, byRole));
        }
        ctx.step("reading inputs");
        IngestTransform.Result result = IngestTransform.apply(spark, inputs);
        try {
            for (Map.Entry<String, StructType> t : CanonicalTables.ALL.entrySet()) {
                Dataset<Row> rows = canonical(result.tables().get(t.getKey()), t.getValue());
                String idColumn = t.getValue().fieldNames()[2];
                ctx.write(t.getKey(), rows.sortWithinPartitions(Columns.SOURCE, idColumn));
            }
            ctx.write(
                    RejectsTable.NAME,
                    canonical(result.rejects(), RejectsTable.SCHEMA)
                            .sortWithinPartitions(Columns.SOURCE, RejectsTable.LOCATION));
            ctx.step(StageOutput.SUMMARY);
            IngestReport report =
                    report(ctx, plans, result.outcomeCounts(), result.duplicateCounts());
            for (IngestReport.SourceCounts s : report.sources()) {
                for (IngestReport.RoleCounts r : s.inputs()) {
                    if (!r.reconciles()) {
                        throw new IllegalStateException(
                                "ingest lost records of source '"
                                        + s.source()
                                        + "' input '"
                                        + r.role()
                                        + "': "
                                        + r);
                    }
                }
            }
            return report;
        } finally {
            result.release();
        }
    }

    /** Rows in the canonical column order, without ingest's bookkeeping columns. */
    private static Dataset<Row> canonical(Dataset<Row> rows, StructType schema) {
        String[] names = schema.fieldNames();
        return rows.select(names[0], java.util.Arrays.copyOfRange(names, 1, names.length));
    }

    private static IngestReport report(
            StageContext ctx,
            Map<String, Map<String, InputPlanner.Plan>> plans,
            Dataset<Row> outcomeCounts,
            Dataset<Row> duplicateCounts) {
        SparkSession spark = ctx.spark();
        PipelineConfig config = ctx.config();
        Map<String, long[]> outcomes = new TreeMap<>();
        for (Row r : outcomeCounts.collectAsList()) {
            outcomes.put(
                    key(r.getString(0), r.getString(1)),
                    new long[] {r.getLong(2), r.getLong(3), r.getLong(4)});
        }
        Map<String, Long> duplicates = new TreeMap<>();
        for (Row r : duplicateCounts.collectAsList()) {
            duplicates.put(key(r.getString(0), r.getString(1)), r.getLong(2));
        }
        Map<String, Map<String, Long>> rejectCounts = new TreeMap<>();
        for (Row r :
                spark.read()
                        .parquet(ctx.output(RejectsTable.NAME))
                        .groupBy(Columns.SOURCE, RejectsTable.INPUT, RejectsTable.REASON)
                        .count()
                        .collectAsList()) {
            rejectCounts
                    .computeIfAbsent(key(r.getString(0), r.getString(1)), k -> new TreeMap<>())
                    .put(r.getString(2), r.getLong(3));
        }
        Map<String, Long> written = new TreeMap<>();
        for (String table : CanonicalTables.ALL.keySet()) {
            for (Row r :
                    spark.read()
                            .parquet(ctx.output(table))
                            .groupBy(col(Columns.SOURCE))
                            .count()
                            .collectAsList()) {
                written.put(key(r.getString(0), table), r.getLong(1));
            }
        }
        List<IngestReport.SourceCounts> sources = new ArrayList<>();
        for (SourceConfig source : config.sources()) {
            List<IngestReport.RoleCounts> roles = new ArrayList<>();
            List<InputFileInfo> files = new ArrayList<>();
            for (InputSpec in : source.inputs()) {
                String k = key(source.name(), in.role());
                long[] o = outcomes.getOrDefault(k, new long[3]);
                checkRead(source.name(), in.role(), o[0], o[1]);
                String table = IngestSchemas.table(source.taskType(), in.role());
                roles.add(
                        new IngestReport.RoleCounts(
                                in.role(),
                                table,
                                o[0],
                                o[2] - o[1],
                                written.getOrDefault(key(source.name(), table), 0L),
                                duplicates.getOrDefault(k, 0L),
                                rejectCounts.getOrDefault(k, Map.of())));
                files.addAll(plans.get(source.name()).get(in.role()).files());
            }
            sources.add(
                    new IngestReport.SourceCounts(
                            source.name(),
                            source.dataset(),
                            source.taskType().configName(),
                            source.split(),
                            roles,
                            files));
        }
        IngestReport report = new IngestReport(sources);
        LOG.info("ingested:\n{}", report.table());
        return report;
    }

    /**
     * Fails when readers consumed another number of physical records than they handed to
     * validation: a reader dropped (or invented) records, and no later count could show it.
     */
    private static void checkRead(String source, String role, long read, long records) {
        if (read != records) {
            throw new IllegalStateException(
                    "ingest of source '"
                            + source
                            + "' input '"
                            + role
                            + "': the readers consumed "
                            + read
                            + " physical records but emitted "
                            + records
                            + " records; a reader lost (or invented) records");
        }
    }

    private static String key(String source, String role) {
        return source + "\u0000" + role;
    }
}
