package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.util.List;
import java.util.function.Consumer;

/**
 * Quoted CSV/TSV, which may hold line breaks inside quoted fields and therefore is read a whole
 * file at a time. Records are cut by {@link CsvTokenizer} (RFC 4180): a record that breaks the
 * quoting is rejected and parsing resumes on the line after its first line, so one stray quote
 * costs one record, not the rest of the file. Each record is one physical record of the tally; the
 * header is not. Runs on executors.
 */
final class CsvRecords {
    private final InputSpec spec;
    private final char delimiter;
    private final char quote;
    private final boolean header;

    CsvRecords(InputSpec spec) {
        this.spec = spec;
        this.delimiter = delimiter(spec);
        this.quote = spec.options().string("quote", "\"").charAt(0);
        this.header = spec.options().bool("header", true);
    }

    /** The delimiter character of a delimited input ({@code \t} spelled as two characters too). */
    static char delimiter(InputSpec spec) {
        String d = spec.options().string("delimiter", ",");
        return d.equals("\\t") ? '\t' : d.charAt(0);
    }

    /**
     * Hands over the records of one file, then its tally. When a compressed file could not be read
     * to its end, the records of its whole lines are read and the rest is one {@code
     * truncated_input} record.
     */
    void read(InputFiles.Content content, String file, Consumer<ExtractedRecord> out) {
        String text = RecordReaders.text(content.bytes());
        String cut = null;
        if (content.truncation() != null) {
            int lastLineEnd = text.lastIndexOf('\n') + 1;
            cut = text.substring(lastLineEnd);
            text = text.substring(0, lastLineEnd);
        }
        CsvTokenizer records = new CsvTokenizer(text, delimiter, quote);
        ColumnLayout layout = header ? null : new ColumnLayout(spec, null);
        long read = 0;
        long cutLine = cut == null ? 0 : newlines(text) + 1;
        for (CsvTokenizer.Token t = records.next(); t != null; t = records.next()) {
            if (cut != null && t.unclosed()) {
                // The open quote runs into the cut: this record is where the readable text ends.
                cut = text.substring(t.start()) + cut;
                cutLine = t.line();
                break;
            }
            if (layout == null) {
                layout = headerLayout(t, file);
                continue;
            }
            read++;
            out.accept(record(t, layout, records, file));
        }
        if (cut != null) {
            read++;
            out.accept(
                    ExtractedRecord.truncated(
                            spec.role(),
                            file,
                            cutLine,
                            true,
                            cut,
                            "the compressed file ends early or is damaged ("
                                    + content.truncation()
                                    + "): line "
                                    + cutLine
                                    + " and everything after it cannot be read"));
        }
        out.accept(ExtractedRecord.tally(spec.role(), file, read));
    }

    /**
     * The record of a token. A record spanning several lines that is malformed (a quote error, or
     * the wrong number of cells once a stray quote made one quoted field of several lines) costs
     * its first line only: parsing resumes on its second line, so it cannot swallow its neighbours.
     */
    private ExtractedRecord record(
            CsvTokenizer.Token t, ColumnLayout layout, CsvTokenizer records, String file) {
        if (t.error() != null) {
            return ExtractedRecord.malformed(
                    spec.role(), file, t.line(), true, t.raw(), "CSV does not parse: " + t.error());
        }
        ExtractedRecord r = layout.record(t.cells(), file, t.line(), true, t.raw());
        int firstLineEnd = t.raw().indexOf('\n');
        if (r.malformed() == null || firstLineEnd < 0) {
            return r;
        }
        records.resumeOnSecondLine(t);
        String first = t.raw().substring(0, firstLineEnd);
        return ExtractedRecord.malformed(
                spec.role(),
                file,
                t.line(),
                true,
                first.endsWith("\r") ? first.substring(0, first.length() - 1) : first,
                r.malformed()
                        + " in a quoted record of several lines; its first line is rejected and"
                        + " reading resumes on the next");
    }

    /** The layout the header record names; fails the run when the header is unusable. */
    private ColumnLayout headerLayout(CsvTokenizer.Token t, String file) {
        if (t.error() != null) {
            throw new IllegalArgumentException(
                    file + ": the header (line " + t.line() + ") does not parse: " + t.error());
        }
        List<String> cells = t.cells();
        String first = cells.get(0);
        if (!first.isEmpty() && first.charAt(0) == '\uFEFF') {
            cells.set(0, first.substring(1));
        }
        ColumnLayout layout = new ColumnLayout(spec, cells);
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
        return layout;
    }

    private static long newlines(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
