package io.embedforge.pipeline.schema;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.Map;

/**
 * What {@code label-negatives} did. A contract between stages (the report reads the label
 * distributions from the manifest), hence here beside the tables rather than in the stage's
 * package.
 *
 * @param itemsIn items read (records times their target fields)
 * @param rejectsByReason rejected items per reason
 * @param itemsValid items past validation and the rare-label check
 * @param itemsSampledOut valid items left out by stratified sampling
 * @param itemsSampled items kept
 * @param duplicateExamples kept items that gave an example already given by another
 * @param modes items kept per {@code source:mode}
 * @param examples counts of the examples written (flattened into this object in JSON)
 * @param labelDistributionBefore valid items per label, keyed by {@code source/query_field}
 * @param labelDistributionAfter sampled items per label, keyed the same way
 */
public record LabelSummary(
        @JsonProperty("items_in") long itemsIn,
        @JsonProperty("rejects_by_reason") Map<String, Long> rejectsByReason,
        @JsonProperty("items_valid") long itemsValid,
        @JsonProperty("items_sampled_out") long itemsSampledOut,
        @JsonProperty("items_sampled") long itemsSampled,
        @JsonProperty("duplicate_examples") long duplicateExamples,
        @JsonProperty("modes") Map<String, Long> modes,
        @JsonUnwrapped ExampleCounts examples,
        @JsonProperty(LABEL_DISTRIBUTION_BEFORE)
                Map<String, Map<String, Long>> labelDistributionBefore,
        @JsonProperty(LABEL_DISTRIBUTION_AFTER)
                Map<String, Map<String, Long>> labelDistributionAfter)
        implements StageResult {

    public static final String LABEL_DISTRIBUTION_BEFORE = "label_distribution_before";
    public static final String LABEL_DISTRIBUTION_AFTER = "label_distribution_after";
}
