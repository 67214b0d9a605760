package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps the cells of a delimited record to canonical fields: by header name, by configured column
 * name, or by {@code $N} index; and knows how many cells a well-formed record has.
 */
final class ColumnLayout {
    private static final Pattern INDEX = Pattern.compile("\\$(\\d+)");

    private final InputSpec spec;
    private final Map<String, Integer> fieldIndex = new LinkedHashMap<>();
    private final int expectedColumns;
    private final boolean allowExtra;

    /**
     * @param header the header cells, or null when the file has none
     */
    ColumnLayout(InputSpec spec, List<String> header) {
        this.spec = spec;
        List<String> names = header != null ? header : spec.options().strings("columns");
        int maxIndex = -1;
        for (Map.Entry<String, String> e : spec.fields().entrySet()) {
            Matcher m = INDEX.matcher(e.getValue());
            int idx = m.matches() ? Integer.parseInt(m.group(1)) : names.indexOf(e.getValue());
            fieldIndex.put(e.getKey(), idx);
            maxIndex = Math.max(maxIndex, idx);
        }
        this.expectedColumns = names.isEmpty() ? maxIndex + 1 : names.size();
        this.allowExtra = names.isEmpty() || spec.options().bool("allow_extra_columns", false);
    }

    /** Header names a field refers to that the header lacks; empty when all are present. */
    List<String> missingColumns() {
        List<String> missing = new ArrayList<>();
        fieldIndex.forEach(
                (field, idx) -> {
                    if (idx < 0) {
                        missing.add(spec.fields().get(field));
                    }
                });
        return missing;
    }

    /** The record built from its cells. */
    ExtractedRecord record(
            List<String> cells, String file, long position, boolean lineNumbered, String raw) {
        boolean wrongCount =
                allowExtra ? cells.size() < expectedColumns : cells.size() != expectedColumns;
        if (wrongCount) {
            return ExtractedRecord.malformed(
                    spec.role(),
                    file,
                    position,
                    lineNumbered,
                    raw,
                    "expected "
                            + (allowExtra ? "at least " : "")
                            + expectedColumns
                            + " columns, found "
                            + cells.size());
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        fieldIndex.forEach(
                (field, idx) -> {
                    if (idx >= 0 && idx < cells.size() && cells.get(idx) != null) {
                        fields.put(field, List.of(cells.get(idx)));
                    }
                });
        return new ExtractedRecord(
                spec.role(),
                file,
                position,
                lineNumbered,
                raw,
                null,
                Utf8.hasInvalid(raw),
                fields,
                java.util.Set.of());
    }
}
