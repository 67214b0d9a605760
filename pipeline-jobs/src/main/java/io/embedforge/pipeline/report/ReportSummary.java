package io.embedforge.pipeline.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.schema.StageResult;
import java.util.List;
import java.util.Map;

/**
 * What {@code report} wrote.
 *
 * @param index the page, where it is once committed
 * @param charts the PNG charts beside it
 * @param samples examples shown
 * @param rejects reject and drop rows per stage and reason, as shown
 * @param findings the lines of the findings box (empty: clean)
 */
public record ReportSummary(
        @JsonProperty("index") String index,
        @JsonProperty("charts") List<String> charts,
        @JsonProperty("samples") int samples,
        @JsonProperty("rejects") Map<String, Map<String, Long>> rejects,
        @JsonProperty("findings") List<String> findings)
        implements StageResult {}
