package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.schema.StageResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

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

    /**
     * The counts as an aligned text table, one line per source and input role (the log line of an
     * ingest run; the manifest keeps the same counts as JSON). Rejects are listed by reason.
     */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(
                new String[] {
                    "source",
                    "input",
                    "table",
                    "read",
                    "expanded",
                    "written",
                    "duplicates",
                    "rejected",
                    "reject reasons"
                });
        for (SourceCounts s : sources) {
            for (RoleCounts r : s.inputs()) {
                rows.add(
                        new String[] {
                            s.source(),
                            r.role(),
                            r.table(),
                            String.valueOf(r.read()),
                            String.valueOf(r.expanded()),
                            String.valueOf(r.written()),
                            String.valueOf(r.duplicates()),
                            String.valueOf(r.rejected()),
                            r.rejects().entrySet().stream()
                                    .map(e -> e.getKey() + "=" + e.getValue())
                                    .collect(Collectors.joining(", "))
                        });
            }
        }
        return align(rows);
    }

    /** Text columns left-aligned, numbers right-aligned, two spaces apart. */
    private static String align(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < row.length; i++) {
                boolean number = i >= 3 && i <= 7;
                String format = number ? "%" + width[i] + "s  " : "%-" + width[i] + "s  ";
                line.append(String.format(Locale.ROOT, format, row[i]));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString().stripTrailing();
    }
}
