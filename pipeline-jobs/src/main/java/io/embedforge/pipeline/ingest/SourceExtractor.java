package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Builds the distributed collection of extracted records of one input. The driver only plans; every
 * byte is read inside executor tasks ({@link RecordReaders}, Spark's Parquet reader, or the line
 * join of parallel files).
 */
public final class SourceExtractor {
    private SourceExtractor() {}

    public static JavaRDD<ExtractedRecord> extract(
            SparkSession spark, InputSpec input, InputPlanner.Plan plan, HadoopConf conf) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return switch (input.format()) {
            case PARQUET -> parquet(spark, input, plan);
            case PARALLEL -> parallel(jsc, input, conf);
            default -> {
                List<FileUnit> units = plan.units();
                int slices = Math.max(1, Math.min(units.size(), jsc.defaultParallelism() * 4));
                yield jsc.parallelize(units, slices)
                        .flatMap(unit -> RecordReaders.read(input, unit, conf.get()));
            }
        };
    }

    private static JavaRDD<ExtractedRecord> parquet(
            SparkSession spark, InputSpec input, InputPlanner.Plan plan) {
        String[] paths = plan.files().stream().map(InputFileInfo::path).toArray(String[]::new);
        List<String> fields = new ArrayList<>(input.fields().keySet());
        List<Column> columns = new ArrayList<>();
        for (String field : fields) {
            columns.add(functions.col(quoted(input.fields().get(field))).as(field));
        }
        columns.add(functions.col("_metadata.file_path").as("_file"));
        columns.add(functions.col("_metadata.row_index").as("_row"));
        Dataset<Row> rows = spark.read().parquet(paths).select(columns.toArray(new Column[0]));
        String role = input.role();
        return rows.toJavaRDD().map(row -> parquetRecord(role, fields, row));
    }

    private static String quoted(String selector) {
        StringBuilder out = new StringBuilder();
        for (String part : selector.split("\\.")) {
            out.append(out.length() == 0 ? "" : ".").append('`').append(part).append('`');
        }
        return out.toString();
    }

    private static ExtractedRecord parquetRecord(String role, List<String> fields, Row row) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        Set<String> wrongType = new java.util.LinkedHashSet<>();
        boolean invalid = false;
        for (int i = 0; i < fields.size(); i++) {
            Object v = row.get(i);
            if (v == null) {
                continue;
            }
            List<String> out = new ArrayList<>();
            if (v instanceof Row) {
                wrongType.add(fields.get(i));
                continue;
            }
            if (v instanceof scala.collection.Seq<?> seq
                    && !io.embedforge.pipeline.config.Roles.MULTI_VALUED.contains(fields.get(i))) {
                wrongType.add(fields.get(i));
                continue;
            }
            if (v instanceof scala.collection.Seq<?> seq) {
                scala.collection.Iterator<?> it = seq.iterator();
                while (it.hasNext()) {
                    Object e = it.next();
                    if (e instanceof Row || e instanceof scala.collection.Seq<?>) {
                        wrongType.add(fields.get(i));
                    } else if (e != null) {
                        out.add(e.toString());
                    }
                }
            } else if (v instanceof byte[] bytes) {
                String text = Utf8.decode(bytes, 0, bytes.length);
                invalid |= Utf8.hasInvalid(text);
                out.add(text);
            } else {
                out.add(v.toString());
            }
            if (!out.isEmpty()) {
                values.put(fields.get(i), out);
            }
        }
        String file = row.getString(fields.size());
        long index = row.getLong(fields.size() + 1);
        return ExtractedRecord.of(
                        role, file, index, false, row.toString(), invalid, values, wrongType)
                .countedOnce();
    }

    /** Line-aligned files, read side by side by one task ({@link ParallelRecords}). */
    private static JavaRDD<ExtractedRecord> parallel(
            JavaSparkContext jsc, InputSpec input, HadoopConf conf) {
        return jsc.parallelize(List.of(input.role()), 1)
                .flatMap(role -> new ParallelRecords(input, conf.get()));
    }
}
