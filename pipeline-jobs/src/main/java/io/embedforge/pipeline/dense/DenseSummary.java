package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.schema.StageResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

/**
 * What {@code mine-dense} did, per source: examples, queries, candidates, removals per filter,
 * examples short of negatives, how many needed a wider window and how far, rejects per input and
 * reason.
 *
 * @param encoderFingerprint fingerprint of the encoder (the embedding store's partition)
 * @param sources counters by source
 */
public record DenseSummary(
        @JsonProperty("encoder_fingerprint") String encoderFingerprint,
        @JsonProperty("sources") Map<String, SourceCounts> sources)
        implements StageResult {

    /** Prefix of the reject counters' keys. */
    private static final String REJECTED = "rejected_";

    /** Prefix of the final-window counters' keys (internal). */
    private static final String WINDOW = "window_";

    /**
     * Counters of one source.
     *
     * @param examples examples written
     * @param queries distinct query ids
     * @param candidates distinct candidate texts searched
     * @param removed candidates each filter removed, keyed {@code removed_<filter>}
     * @param fewerThanRequested examples with fewer than {@code negatives} negatives
     * @param withoutNegatives examples with none
     * @param positivesMissingFromCorpus examples whose positive is not in the source's corpus
     * @param meanNegatives mean negatives per example
     * @param meanPositiveScore mean query-positive score
     * @param rejected reject rows keyed {@code rejected_<input>_<reason>}
     * @param corpusSmallerThanRangeMax fewer candidates than the search window
     * @param requestedNegatives the {@code negatives} setting
     * @param widened examples whose final window is wider than {@code range_max}
     * @param finalWindows examples per final window (rank depth the selection looked at)
     */
    public record SourceCounts(
            @JsonProperty("examples") long examples,
            @JsonProperty("queries") long queries,
            @JsonProperty("candidates") long candidates,
            @JsonIgnore Map<String, Long> removed,
            @JsonProperty("fewer_than_requested") long fewerThanRequested,
            @JsonProperty("without_negatives") long withoutNegatives,
            @JsonProperty("positives_missing_from_corpus") long positivesMissingFromCorpus,
            @JsonProperty("mean_negatives") double meanNegatives,
            @JsonProperty("mean_positive_score") double meanPositiveScore,
            @JsonIgnore Map<String, Long> rejected,
            @JsonProperty("corpus_smaller_than_range_max") boolean corpusSmallerThanRangeMax,
            @JsonProperty("requested_negatives") int requestedNegatives,
            @JsonProperty("widened") long widened,
            @JsonProperty("final_windows") Map<String, Long> finalWindows) {

        /** {@link #removed} and {@link #rejected} as flat keys of the JSON object. */
        @JsonAnyGetter
        public Map<String, Long> counters() {
            Map<String, Long> m = new TreeMap<>(removed);
            m.putAll(rejected);
            return m;
        }
    }

    /**
     * Counters of a result, from small aggregations (one Spark job); only they reach the driver.
     */
    static DenseSummary of(DenseMiningJob.Result r, DenseParams p) {
        Map<String, Map<String, Double>> values = new TreeMap<>();
        for (Row row : counters(r, p).collectAsList()) {
            values.computeIfAbsent(row.getString(0), s -> new LinkedHashMap<>())
                    .put(row.getString(1), row.isNullAt(2) ? 0.0 : row.getDouble(2));
        }
        Map<String, SourceCounts> sources = new TreeMap<>();
        values.forEach((source, v) -> sources.put(source, counts(v, p)));
        return new DenseSummary(p.encoder().fingerprint(), sources);
    }

    private static SourceCounts counts(Map<String, Double> v, DenseParams p) {
        Map<String, Long> removed = new TreeMap<>();
        for (NegativeSelector.Filter f : NegativeSelector.Filter.values()) {
            removed.put(f.code(), number(v, f.code()));
        }
        Map<String, Long> rejected = new TreeMap<>();
        Map<Integer, Long> windows = new TreeMap<>();
        v.forEach(
                (k, n) -> {
                    if (k.startsWith(REJECTED)) {
                        rejected.put(k, Math.round(n));
                    } else if (k.startsWith(WINDOW)) {
                        windows.put(Integer.parseInt(k.substring(WINDOW.length())), Math.round(n));
                    }
                });
        Map<String, Long> finalWindows = new LinkedHashMap<>();
        long widened = 0;
        for (Map.Entry<Integer, Long> w : windows.entrySet()) {
            finalWindows.put(String.valueOf(w.getKey()), w.getValue());
            widened += w.getKey() > p.rangeMax() ? w.getValue() : 0;
        }
        long candidates = number(v, "candidates");
        return new SourceCounts(
                number(v, "examples"),
                number(v, "queries"),
                candidates,
                removed,
                number(v, "fewer_than_requested"),
                number(v, "without_negatives"),
                number(v, "positives_missing_from_corpus"),
                v.getOrDefault("mean_negatives", 0.0),
                v.getOrDefault("mean_positive_score", 0.0),
                rejected,
                candidates < p.rangeMax(),
                p.negatives(),
                widened,
                finalWindows);
    }

    private static long number(Map<String, Double> v, String key) {
        return Math.round(v.getOrDefault(key, 0.0));
    }

    /** (source, key, value) rows of every counter: three aggregations unioned, one action. */
    private static Dataset<Row> counters(DenseMiningJob.Result r, DenseParams p) {
        Column n = size(col(NegativesTable.NEGATIVES));
        Map<String, Column> counters = new LinkedHashMap<>();
        counters.put("examples", count(lit(1)));
        counters.put("queries", countDistinct(col(RetrievalTable.QUERY_ID)));
        for (NegativeSelector.Filter f : NegativeSelector.Filter.values()) {
            counters.put(f.code(), sum(col(f.code())));
        }
        counters.put("fewer_than_requested", sum(when(n.lt(p.negatives()), 1).otherwise(0)));
        counters.put("without_negatives", sum(when(n.equalTo(0), 1).otherwise(0)));
        counters.put(
                "positives_missing_from_corpus",
                sum(when(col("positive_in_corpus"), 0).otherwise(1)));
        counters.put("mean_negatives", avg(n));
        counters.put("mean_positive_score", avg(col(NegativesTable.POSITIVE_SCORE)));
        List<Column> aggs = new ArrayList<>();
        List<Column> pairs = new ArrayList<>();
        for (Map.Entry<String, Column> e : counters.entrySet()) {
            aggs.add(e.getValue().cast(DataTypes.DoubleType).as(e.getKey()));
            pairs.add(struct(lit(e.getKey()).as("key"), col(e.getKey()).as("value")));
        }
        String source = Columns.SOURCE;
        Dataset<Row> fromSelected =
                r.selected()
                        .groupBy(source)
                        .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]))
                        .select(col(source), explode(array(pairs.toArray(new Column[0]))).as("kv"))
                        .select(col(source), col("kv.key").as("key"), col("kv.value").as("value"));
        Dataset<Row> fromCandidates =
                r.candidates()
                        .groupBy(source)
                        .agg(count(lit(1)).cast(DataTypes.DoubleType).as("value"))
                        .select(col(source), lit("candidates").as("key"), col("value"));
        Dataset<Row> fromRejects =
                r.rejects()
                        .groupBy(source, RejectsTable.INPUT, RejectsTable.REASON)
                        .agg(count(lit(1)).cast(DataTypes.DoubleType).as("value"))
                        .select(
                                col(source),
                                concat(
                                                lit(REJECTED),
                                                col(RejectsTable.INPUT),
                                                lit("_"),
                                                col(RejectsTable.REASON))
                                        .as("key"),
                                col("value"));
        Dataset<Row> fromWindows =
                r.selected()
                        .groupBy(source, DenseSelection.WINDOW)
                        .agg(count(lit(1)).cast(DataTypes.DoubleType).as("value"))
                        .select(
                                col(source),
                                concat(lit(WINDOW), col(DenseSelection.WINDOW)).as("key"),
                                col("value"));
        return fromSelected
                .unionByName(fromCandidates)
                .unionByName(fromRejects)
                .unionByName(fromWindows);
    }
}
