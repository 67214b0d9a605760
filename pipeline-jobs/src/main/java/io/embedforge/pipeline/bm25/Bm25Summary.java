package io.embedforge.pipeline.bm25;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.embedforge.pipeline.schema.ExampleCounts;
import io.embedforge.pipeline.schema.StageResult;
import java.util.Map;

/**
 * What {@code mine-bm25} did.
 *
 * @param recordsIn STS records read (every split)
 * @param rejectsByReason rejected records per reason
 * @param recordsKept records of the example splits at or above {@code min_score}
 * @param duplicateExamples directed examples dropped as duplicates of another record's
 * @param examples counts of the examples written (flattened into this object in JSON)
 * @param poolTexts distinct texts of the negative pool
 * @param poolTextsWithoutTerms pool texts the analyzer leaves without terms
 * @param poolAvgLength mean terms per pool text with terms
 * @param numShards index shards
 */
public record Bm25Summary(
        @JsonProperty("records_in") long recordsIn,
        @JsonProperty("rejects_by_reason") Map<String, Long> rejectsByReason,
        @JsonProperty("records_kept") long recordsKept,
        @JsonProperty("duplicate_examples") long duplicateExamples,
        @JsonUnwrapped ExampleCounts examples,
        @JsonProperty("pool_texts") long poolTexts,
        @JsonProperty("pool_texts_without_terms") long poolTextsWithoutTerms,
        @JsonProperty("pool_avg_length") double poolAvgLength,
        @JsonProperty("num_shards") int numShards)
        implements StageResult {}
