package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Quoted CSV/TSV, which may hold line breaks inside quoted fields and therefore is read a whole
 * file at a time. A record that breaks the quoting is rejected and parsing resumes at the next
 * line, so one stray quote costs one record, not the rest of the file. Runs on executors.
 */
final class CsvRecords {
    private final InputSpec spec;
    private final CSVFormat format;
    private final boolean header;

    CsvRecords(InputSpec spec) {
        this.spec = spec;
        String delimiter = spec.options().string("delimiter", ",");
        char delim = delimiter.equals("\\t") ? '\t' : delimiter.charAt(0);
        char quote = spec.options().string("quote", "\"").charAt(0);
        this.format =
                CSVFormat.DEFAULT
                        .builder()
                        .setDelimiter(delim)
                        .setQuote(quote)
                        .setIgnoreEmptyLines(true)
                        .setTrim(false)
                        .get();
        this.header = spec.options().bool("header", true);
    }

    /** Reads one file's text; a new instance per file, as it keeps the file's header. */
    void read(String text, String file, Consumer<ExtractedRecord> out) {
        int[] lineStarts = lineStarts(text);
        int line = 0; // 0-based index of the line where parsing (re)starts
        layout = header ? null : new ColumnLayout(spec, null);
        while (line < lineStarts.length) {
            int resumeAt = parseFrom(text, lineStarts, line, file, out);
            if (resumeAt < 0) {
                return;
            }
            line = resumeAt;
        }
    }

    private ColumnLayout layout;

    /**
     * Parses from a line to the end or the first error; returns the line to resume at, or -1 when
     * the text is done.
     */
    private int parseFrom(
            String text,
            int[] lineStarts,
            int firstLine,
            String file,
            Consumer<ExtractedRecord> out) {
        long consumedLines = 0;
        try (CSVParser parser =
                CSVParser.parse(new StringReader(text.substring(lineStarts[firstLine])), format)) {
            Iterator<CSVRecord> it = parser.iterator();
            while (true) {
                long startLine = firstLine + consumedLines + 1;
                CSVRecord record;
                try {
                    if (!it.hasNext()) {
                        return -1;
                    }
                    record = it.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    long failedAt =
                            firstLine + Math.max(parser.getCurrentLineNumber(), consumedLines + 1);
                    String raw = excerpt(text, lineStarts, (int) startLine - 1, (int) failedAt);
                    out.accept(
                            ExtractedRecord.malformed(
                                    spec.role(),
                                    file,
                                    startLine,
                                    true,
                                    raw,
                                    "CSV does not parse: " + rootMessage(e)));
                    return (int) Math.min(failedAt, lineStarts.length);
                }
                consumedLines = parser.getCurrentLineNumber();
                List<String> cells = new ArrayList<>(record.size());
                record.forEach(cells::add);
                if (layout == null) {
                    if (cells.isEmpty()) {
                        continue;
                    }
                    String first = cells.get(0);
                    if (!first.isEmpty() && first.charAt(0) == '\uFEFF') {
                        cells.set(0, first.substring(1));
                    }
                    layout = new ColumnLayout(spec, cells);
                    List<String> missing = layout.missingColumns();
                    if (!missing.isEmpty()) {
                        throw new IllegalArgumentException(
                                file
                                        + ": header "
                                        + cells
                                        + " has no column "
                                        + missing
                                        + " named by the fields of input '"
                                        + spec.role()
                                        + "'");
                    }
                    continue;
                }
                out.accept(
                        layout.record(
                                cells,
                                file,
                                startLine,
                                true,
                                String.join(String.valueOf(format.getDelimiterString()), cells)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String excerpt(String text, int[] lineStarts, int fromLine, int toLine) {
        int from = lineStarts[Math.max(0, Math.min(fromLine, lineStarts.length - 1))];
        int to = toLine < lineStarts.length ? lineStarts[toLine] : text.length();
        return text.substring(from, Math.max(from, to));
    }

    private static int[] lineStarts(String text) {
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n' && i + 1 < text.length()) {
                starts.add(i + 1);
            }
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
