package io.embedforge.pipeline.stage;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;

import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.ExampleCounts;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Small aggregations for stage summaries. Each groups by a column of bounded cardinality (reject
 * reasons, histogram buckets, label values of a source) so only the aggregate reaches the driver,
 * never the rows.
 *
 * <p>Driver only.
 */
public final class Summaries {
    private Summaries() {}

    /** Row counts per value of {@code column} (null values counted under "null"), sorted. */
    public static Map<String, Long> countBy(Dataset<Row> rows, Column column) {
        Map<String, Long> counts = new TreeMap<>();
        for (Row r : rows.groupBy(column.as("k")).count().collectAsList()) {
            Object key = r.get(0);
            counts.put(String.valueOf(key), r.getLong(1));
        }
        return counts;
    }

    /** Reject counts per reason. */
    public static Map<String, Long> rejectsByReason(Dataset<Row> rejects) {
        return countBy(rejects, col(RejectsTable.REASON));
    }

    /** "0" to {@code maxNegatives} at zero, in numeric key order. */
    private static Map<String, Long> emptyHistogram(int maxNegatives) {
        Map<String, Long> histogram =
                new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
        for (int n = 0; n <= maxNegatives; n++) {
            histogram.put(Integer.toString(n), 0L);
        }
        return histogram;
    }

    /**
     * One pass over the examples: counts per source and per number of negatives, and the examples
     * with fewer than {@code maxNegatives} or no negatives.
     */
    public static ExampleCounts examples(Dataset<Row> examples, int maxNegatives) {
        Map<String, Long> perSource = new TreeMap<>();
        Map<String, Long> histogram = emptyHistogram(maxNegatives);
        long total = 0;
        List<Row> groups =
                examples.groupBy(
                                col(Columns.SOURCE).as("s"),
                                size(col(NegativesTable.NEGATIVES)).as("n"))
                        .agg(count(lit(1)).as("c"))
                        .collectAsList();
        for (Row r : groups) {
            long c = r.getLong(2);
            total += c;
            perSource.merge(r.getString(0), c, Long::sum);
            histogram.merge(Integer.toString(r.getInt(1)), c, Long::sum);
        }
        long full = histogram.getOrDefault(Integer.toString(maxNegatives), 0L);
        return new ExampleCounts(total, perSource, total - full, histogram.get("0"), histogram);
    }
}
