package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.schema.StageResult;
import java.util.List;
import java.util.Map;

/**
 * Counts of one ingest run, per source and input role, as written to the manifest. {@code read} is
 * the physical records the readers consumed, counted as they consumed them (lines, RFC 4180
 * records, files, rows; each record a {@code record_path} selects), which ingest checks against the
 * records they emitted. For every role {@code read + expanded = written + rejected + duplicates}:
 * each record read ends as output rows, reject rows or counted duplicates ({@code expanded} counts
 * the extra rows of records with several positives).
 */
public record IngestReport(List<SourceCounts> sources) implements StageResult {

    /** One source instance. */
    public record SourceCounts(
            String source,
            String dataset,
            String taskType,
            String split,
            List<RoleCounts> inputs,
            List<InputFileInfo> files) {}

    /** One input role of a source. */
    public record RoleCounts(
            String role,
            String table,
            long read,
            long expanded,
            long written,
            long duplicates,
            Map<String, Long> rejects) {
        public long rejected() {
            return rejects.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Whether every record is accounted for. */
        public boolean reconciles() {
            return read + expanded == written + rejected() + duplicates;
        }
    }

    /** Counts of one source and role, or null. */
    public RoleCounts counts(String source, String role) {
        for (SourceCounts s : sources) {
            if (s.source().equals(source)) {
                for (RoleCounts r : s.inputs()) {
                    if (r.role().equals(role)) {
                        return r;
                    }
                }
            }
        }
        return null;
    }
}
