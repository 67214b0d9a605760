package io.embedforge.pipeline.export;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * What the export did with one training stage. Counts reconcile per source: {@code read = written +
 * sum of dropped over reasons}, checked before the manifest is written.
 *
 * @param folder its data folder, relative to the export folder
 * @param files the pattern of its data files in that folder (read in name order: row order)
 * @param rows rows written
 * @param read rows read from the blend per source
 * @param written rows written per source
 * @param dropped rows dropped per reason and source (each one also in {@code rejects/<stage>/})
 * @param negativesTruncated written rows whose negatives were cut to the layout's columns
 * @param bytes total size of its data files
 */
public record StageExport(
        @JsonProperty("folder") String folder,
        @JsonProperty("files") String files,
        @JsonProperty("rows") long rows,
        @JsonProperty("read") Map<String, Long> read,
        @JsonProperty("written") Map<String, Long> written,
        @JsonProperty("dropped") Map<String, Map<String, Long>> dropped,
        @JsonProperty("negatives_truncated") long negativesTruncated,
        @JsonProperty("bytes") long bytes) {

    /** Rows dropped over every reason and source. */
    public long droppedTotal() {
        return dropped.values().stream()
                .flatMap(m -> m.values().stream())
                .mapToLong(Long::longValue)
                .sum();
    }
}
