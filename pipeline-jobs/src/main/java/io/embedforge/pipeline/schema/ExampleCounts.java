package io.embedforge.pipeline.schema;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * Counts of a miner's examples ({@link NegativesTable} rows), part of the summaries of {@code
 * mine-bm25} and {@code label-negatives} (flattened into them) and read by the report.
 *
 * @param examplesOut examples written
 * @param examplesPerSource examples per source
 * @param examplesWithFewerNegatives examples with fewer negatives than requested
 * @param examplesWithoutNegatives examples with no negative
 * @param negativesHistogram examples per number of negatives, "0" to the number requested (and any
 *     larger count found), in numeric order
 */
public record ExampleCounts(
        @JsonProperty("examples_out") long examplesOut,
        @JsonProperty("examples_per_source") Map<String, Long> examplesPerSource,
        @JsonProperty("examples_with_fewer_negatives") long examplesWithFewerNegatives,
        @JsonProperty("examples_without_negatives") long examplesWithoutNegatives,
        @JsonProperty("negatives_histogram") Map<String, Long> negativesHistogram) {}
