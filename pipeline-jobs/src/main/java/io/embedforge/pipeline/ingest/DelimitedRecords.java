package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * Unquoted delimited lines (TSV with {@code quote: none}, TREC topics and qrels): one record per
 * line, cells split on the delimiter (or on runs of whitespace), so files split into byte ranges
 * across tasks. Each line is one physical record; a header line is not. Runs on executors.
 */
final class DelimitedRecords {
    private final InputSpec spec;
    private final boolean whitespace;
    private final char delimiter;
    private final boolean header;

    DelimitedRecords(InputSpec spec) {
        this.spec = spec;
        this.whitespace = spec.options().string("delimiter", ",").equals("whitespace");
        this.delimiter = whitespace ? ' ' : CsvRecords.delimiter(spec);
        this.header = spec.options().bool("header", true);
    }

    Iterator<ExtractedRecord> read(FileUnit unit, Configuration conf) {
        List<String> headerCells = null;
        LineIterator lines = new LineIterator(unit, conf);
        if (header) {
            if (unit.start() == 0) {
                headerCells = lines.hasNext() ? split(lines.next().text()) : List.of();
            } else {
                try (LineIterator first = new LineIterator(new FileUnit(unit.path(), 0, 0), conf)) {
                    headerCells = first.hasNext() ? split(first.next().text()) : List.of();
                }
            }
            if (!headerCells.isEmpty() && headerCells.get(0).startsWith("\uFEFF")) {
                headerCells.set(0, headerCells.get(0).substring(1));
            }
        }
        ColumnLayout layout = new ColumnLayout(spec, headerCells);
        if (header && !layout.missingColumns().isEmpty()) {
            lines.close();
            throw new IllegalArgumentException(
                    unit.path()
                            + ": header "
                            + headerCells
                            + " has no column "
                            + layout.missingColumns()
                            + " named by the fields of input '"
                            + spec.role()
                            + "'");
        }
        String file = unit.path();
        return new LineRecords(
                spec.role(),
                file,
                lines,
                (line, out) -> {
                    out.add(
                            layout.record(
                                    split(line.text()),
                                    file,
                                    line.position(),
                                    line.lineNumbered(),
                                    line.text()));
                    return 1;
                });
    }

    private List<String> split(String line) {
        if (whitespace) {
            String trimmed = line.strip();
            return trimmed.isEmpty()
                    ? new ArrayList<>()
                    : new ArrayList<>(Arrays.asList(trimmed.split("\\s+")));
        }
        List<String> cells = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == delimiter) {
                cells.add(line.substring(from, i));
                from = i + 1;
            }
        }
        cells.add(line.substring(from));
        return cells;
    }
}
