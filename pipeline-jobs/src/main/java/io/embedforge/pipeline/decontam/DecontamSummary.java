package io.embedforge.pipeline.decontam;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.schema.StageResult;
import java.util.Map;

/**
 * What {@code decontaminate} did.
 *
 * @param evalTexts distinct normalised evaluation texts
 * @param rowsDropped training rows dropped (one reject row each)
 * @param rejectsByReason drops per reason ({@code eval_exact_match}, {@code eval_near_duplicate})
 * @param perTableSource counts per {@code table/source} of the training splits
 */
public record DecontamSummary(
        @JsonProperty("eval_texts") long evalTexts,
        @JsonProperty("rows_dropped") long rowsDropped,
        @JsonProperty("rejects_by_reason") Map<String, Long> rejectsByReason,
        @JsonProperty("per_table_source") Map<String, TableSource> perTableSource)
        implements StageResult {

    /**
     * Rows of one table and source in the training splits.
     *
     * @param trainRows rows read
     * @param exact dropped as exact matches
     * @param near dropped as near duplicates
     * @param kept rows written
     */
    public record TableSource(
            @JsonProperty("train_rows") long trainRows,
            @JsonProperty(Decontaminate.EXACT) long exact,
            @JsonProperty(Decontaminate.NEAR) long near,
            @JsonProperty("kept") long kept) {}
}
