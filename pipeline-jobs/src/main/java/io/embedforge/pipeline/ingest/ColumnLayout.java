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

    /** The header cells of a file (its first line), split as the input's options say. */
    static List<String> header(
            InputSpec spec, String file, org.apache.hadoop.conf.Configuration conf) {
        try (LineIterator lines = new LineIterator(new FileUnit(file, 0, Long.MAX_VALUE), conf)) {
            if (!lines.hasNext()) {
                return List.of();
            }
            String first = lines.next().text();
            String quote = spec.options().string("quote", "\"");
            List<String> cells = new ArrayList<>();
            if (spec.options().string("delimiter", ",").equals("whitespace")) {
                cells.addAll(java.util.Arrays.asList(first.strip().split("\\s+")));
            } else if (quote.equals("none")) {
                cells.addAll(
                        java.util.Arrays.asList(
                                first.split(
                                        java.util.regex.Pattern.quote(
                                                String.valueOf(CsvRecords.delimiter(spec))),
                                        -1)));
            } else {
                CsvTokenizer.Token t =
                        new CsvTokenizer(first, CsvRecords.delimiter(spec), quote.charAt(0)).next();
                if (t == null || t.cells() == null) {
                    return List.of(first);
                }
                cells.addAll(t.cells());
            }
            if (!cells.isEmpty() && cells.get(0).startsWith("\uFEFF")) {
                cells.set(0, cells.get(0).substring(1));
            }
            return cells;
        }
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
        return ExtractedRecord.of(
                spec.role(),
                file,
                position,
                lineNumbered,
                raw,
                Utf8.hasInvalid(raw),
                fields,
                java.util.Set.of());
    }
}
