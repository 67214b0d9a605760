package io.embedforge.pipeline.run;

import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * What a miner stage produces: examples in the {@link NegativesTable} schema, reject rows in the
 * {@link RejectsTable} schema, and a summary for the manifest. The datasets are lazy plans; the
 * summary runs a few small aggregations (counts by reason, histograms) when asked, so it should be
 * called after {@link #write} when the inputs are cached.
 *
 * <p>Driver only.
 */
public record StageOutput(
        Dataset<Row> examples, Dataset<Row> rejects, Supplier<Map<String, Object>> summary) {

    /** Canonical table at {@code path}, or an empty frame of {@code schema} when absent. */
    public static Dataset<Row> readOrEmpty(SparkSession spark, String path, StructType schema) {
        try {
            Path p = new Path(path);
            if (p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                return spark.read().schema(schema).parquet(path);
            }
            return spark.createDataFrame(List.of(), schema);
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + path, e);
        }
    }

    /** Writes examples and rejects as Parquet under {@code stageDir} (overwriting). */
    public void write(String stageDir) {
        examples.write()
                .mode(SaveMode.Overwrite)
                .parquet(stageDir + "/" + NegativesTable.EXAMPLES_DIR);
        rejects.write()
                .mode(SaveMode.Overwrite)
                .parquet(stageDir + "/" + NegativesTable.REJECTS_DIR);
    }
}
