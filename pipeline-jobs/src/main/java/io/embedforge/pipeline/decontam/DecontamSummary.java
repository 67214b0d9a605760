package io.embedforge.pipeline.decontam;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.schema.StageResult;
import java.util.Map;

/**
 * What {@code decontaminate} did.
 *
 * @param evalTexts distinct normalised evaluation texts
 * @param rowsDropped rows dropped (one reject row each)
 * @param rejectsByReason drops per reason ({@code eval_exact_match}, {@code eval_near_duplicate},
 *     {@code eval_set_match})
 * @param perTableSource counts per {@code table/source} of the training splits
 * @param otherSplitsDropped rows of other splits dropped as {@code eval_set_match}, per {@code
 *     table/source/split} (a later stage may train on them: mine-dense reads every split)
 */
public record DecontamSummary(
        @JsonProperty("eval_texts") long evalTexts,
        @JsonProperty("rows_dropped") long rowsDropped,
        @JsonProperty("rejects_by_reason") Map<String, Long> rejectsByReason,
        @JsonProperty("per_table_source") Map<String, TableSource> perTableSource,
        @JsonProperty("other_splits_dropped") Map<String, Long> otherSplitsDropped)
        implements StageResult {

    /**
     * Rows of one table and source in the training splits.
     *
     * @param trainRows rows read
     * @param exact dropped as exact matches
     * @param near dropped as near duplicates
     * @param evalSet dropped as texts of an eval config's set
     * @param kept rows written
     */
    public record TableSource(
            @JsonProperty("train_rows") long trainRows,
            @JsonProperty(Decontaminate.EXACT) long exact,
            @JsonProperty(Decontaminate.NEAR) long near,
            @JsonProperty(Decontaminate.EVAL_SET) long evalSet,
            @JsonProperty("kept") long kept) {}
}
