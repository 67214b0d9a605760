package io.embedforge.pipeline.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.schema.TrainingExamplesTable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A committed blend output as the export reads it: its manifest (the blend's counts, which the
 * export's counts must match, and the provenance the dataset card shows) and its two stages, whose
 * files must hold the contract's columns with the contract's types.
 *
 * @param path the blend folder
 * @param manifest {@code <blend>/manifest.json}: profile, seed, versions, config, the blend section
 * @param summary the blend's result (rows written per stage and source)
 */
record BlendFolder(String path, ObjectNode manifest, BlendSummary summary) {
    /** Key of the blend's section in its manifest. */
    static final String SECTION = "blend";

    /** Opens {@code path}; a user error naming the file when it is not a committed blend output. */
    static BlendFolder open(Configuration conf, String path) {
        String file = path + "/" + ManifestWriter.FILE_NAME;
        ObjectNode manifest = ManifestWriter.read(conf, file);
        if (manifest == null) {
            throw new ConfigException(
                    "--blend "
                            + path
                            + ": no "
                            + file
                            + " (give the blend folder of a run: <out>/blend)");
        }
        JsonNode result = manifest.path(SECTION).path("result");
        if (!result.isObject()) {
            throw new ConfigException(
                    file + ": no '" + SECTION + ".result' section (not a blend output)");
        }
        try {
            BlendSummary summary = ManifestWriter.mapper().treeToValue(result, BlendSummary.class);
            return new BlendFolder(path, manifest, summary);
        } catch (JsonProcessingException e) {
            throw new ConfigException(
                    file
                            + ": '"
                            + SECTION
                            + ".result' is not a blend summary: "
                            + e.getOriginalMessage(),
                    e);
        }
    }

    /** The folder of {@code stage} ({@code stage1} or {@code stage2}). */
    String stagePath(String stage) {
        return path + "/" + summary.stage(stage).path();
    }

    /** The rows of {@code stage}, checked against the contract's columns and types. */
    Dataset<Row> read(SparkSession spark, String stage) {
        String dir = stagePath(stage);
        Dataset<Row> rows;
        try {
            rows = spark.read().parquet(dir);
        } catch (RuntimeException e) {
            throw new ConfigException("--blend: cannot read " + dir + ": " + e.getMessage(), e);
        }
        StructType actual = rows.schema();
        for (StructField want : TrainingExamplesTable.SCHEMA.fields()) {
            StructField have = field(actual, want.name());
            if (have == null || !have.dataType().sameType(want.dataType())) {
                throw new ConfigException(
                        dir
                                + ": column '"
                                + want.name()
                                + "' is "
                                + (have == null ? "missing" : have.dataType().simpleString())
                                + "; the contract (docs/contract.md) has "
                                + want.dataType().simpleString());
            }
        }
        return rows.select(
                TrainingContract.COLUMNS.stream()
                        .map(rows::col)
                        .toArray(org.apache.spark.sql.Column[]::new));
    }

    private static StructField field(StructType schema, String name) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }
}
