package io.embedforge.pipeline.schema;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.contract.TrainingContract;
import java.util.Map;

/**
 * What {@code blend} did: rows in per input and source, and per training stage the drops, targets
 * and rows written. A contract between stages (the report's tables of rows and drops are read from
 * it in the manifest), hence here beside the tables.
 *
 * @param seed the seed of the shuffle and the caps
 * @param inputs where each input stage's examples were read
 * @param rowsInByInput rows read per input stage and source
 * @param rowsIn rows read per source
 * @param negativesTruncated rows with more negatives than {@code negatives}, cut to the first ones
 * @param negativesPolicy the {@code min_negatives} policy per source
 * @param stage1 stage 1 (retrieval, in-batch negatives on)
 * @param stage2 stage 2 (every source, in-batch negatives off)
 */
public record BlendSummary(
        @JsonProperty("seed") long seed,
        @JsonProperty("inputs") Map<String, String> inputs,
        @JsonProperty("rows_in_by_input") Map<String, Map<String, Long>> rowsInByInput,
        @JsonProperty("rows_in") Map<String, Long> rowsIn,
        @JsonProperty("negatives_truncated") long negativesTruncated,
        @JsonProperty("negatives_policy") NegativesPolicy negativesPolicy,
        @JsonProperty(TrainingContract.STAGE1) TrainingStage stage1,
        @JsonProperty(TrainingContract.STAGE2) TrainingStage stage2)
        implements StageResult {

    /** Drop reason: (query, positive) already present from another source or example. */
    public static final String DROP_DUPLICATE = "duplicate_query_positive";

    /** Drop and reject reason: fewer negatives than the source's {@code min_negatives}. */
    public static final String DROP_TOO_FEW_NEGATIVES = "too_few_negatives";

    /** Drop reason: the source's cap or weight left the row out. */
    public static final String DROP_OVER_CAP = "over_cap";

    /**
     * The {@code min_negatives} policy over the rows read, per source.
     *
     * @param minNegatives the fewest negatives a row must have
     * @param tooFewNegatives rows read with fewer (dropped from both stages, one reject row each)
     * @param negativesPerRow rows read per number of mined negatives (at most {@code negatives}):
     *     the distribution before the policy and its fallback
     * @param fallback what the source does with a short row: {@code drop} or {@code random} (null
     *     in a summary written before the fallback existed)
     * @param filledRows rows the fallback filled (null: as for fallback)
     * @param filledNegatives negatives the fallback added (null: as for fallback)
     */
    public record NegativesPolicy(
            @JsonProperty("min_negatives") Map<String, Long> minNegatives,
            @JsonProperty("too_few_negatives") Map<String, Long> tooFewNegatives,
            @JsonProperty("negatives_per_row") Map<String, Map<String, Long>> negativesPerRow,
            @JsonProperty("fallback") Map<String, String> fallback,
            @JsonProperty("filled_rows") Map<String, Long> filledRows,
            @JsonProperty("filled_negatives") Map<String, Long> filledNegatives) {}

    /** The counts of {@code stage1} or {@code stage2}. */
    public TrainingStage stage(String name) {
        return TrainingContract.STAGE1.equals(name) ? stage1 : stage2;
    }

    /**
     * One training stage.
     *
     * @param inBatchNegatives whether its rows use in-batch negatives
     * @param rowsIn rows of its task types per source, before dedup and caps
     * @param drops rows dropped per reason and source
     * @param targets rows each source may contribute ({@code min(cap, weight x rows)})
     * @param path its folder, relative to the blend folder
     * @param rowsOut rows written per source
     * @param rows rows written
     * @param negativesHistogram rows per number of negatives kept
     * @param batches batches written
     */
    public record TrainingStage(
            @JsonProperty("in_batch_negatives") boolean inBatchNegatives,
            @JsonProperty("rows_in") Map<String, Long> rowsIn,
            @JsonProperty("drops") Map<String, Map<String, Long>> drops,
            @JsonProperty("targets") Map<String, Long> targets,
            @JsonProperty("path") String path,
            @JsonProperty("rows_out") Map<String, Long> rowsOut,
            @JsonProperty("rows") long rows,
            @JsonProperty("negatives_histogram") Map<String, Long> negativesHistogram,
            @JsonProperty("batches") long batches) {}
}
