package io.embedforge.train.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 CSV: comma-separated (or another single-character separator), fields optionally
 * double-quoted, {@code ""} inside quotes is a quote, quoted fields may span lines. A quote left
 * open at the end of the file is a malformed record at its first line.
 */
final class Csv {

    /**
     * One record.
     *
     * @param line first physical line (1-based)
     * @param fields the fields, unquoted
     */
    record Row(long line, List<String> fields) {}

    private Csv() {}

    static List<Row> read(Path file, BadRecords bad) throws IOException {
        return read(file, ',', bad);
    }

    /** Reads with another field separator (a tab for quoted TSV), same quoting rules. */
    static List<Row> read(Path file, char delimiter, BadRecords bad) throws IOException {
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = EvalReaders.open(file)) {
            char[] buf = new char[1 << 16];
            for (int n; (n = r.read(buf)) > 0; ) {
                all.append(buf, 0, n);
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 (" + e + ")", e);
        }
        List<Row> rows = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        long line = 1;
        long start = 1;
        int len = all.length();
        for (int i = 0; i < len; i++) {
            char c = all.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < len && all.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == delimiter) {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < len && all.charAt(i + 1) == '\n') {
                    i++;
                }
                fields.add(field.toString());
                field.setLength(0);
                if (!(fields.size() == 1 && fields.get(0).isEmpty())) {
                    rows.add(new Row(start, List.copyOf(fields)));
                }
                fields.clear();
                line++;
                start = line;
            } else {
                field.append(c);
            }
        }
        if (quoted) {
            bad.report(file, start, BadRecords.MALFORMED, "quote opened here is never closed");
        } else if (field.length() > 0 || !fields.isEmpty()) {
            fields.add(field.toString());
            rows.add(new Row(start, List.copyOf(fields)));
        }
        return rows;
    }
}
