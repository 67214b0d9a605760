package io.embedforge.pipeline.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * The records of a quoted CSV/TSV text by RFC 4180's rules: records end at a line break ({@code \n}
 * or {@code \r\n}) outside quotes; a field that starts with the quote character runs to the next
 * quote not doubled, and may hold delimiters and line breaks; empty lines are not records. As in
 * Python's {@code csv} module and Apache Commons CSV, a quote inside an unquoted field is kept as
 * text.
 *
 * <p>A record that breaks the quoting (a quoted field never closed, or text after a closing quote)
 * is returned as a failed record holding only its <em>first</em> line, and the next record starts
 * on the line after it. So a stray quote costs the one record it is in, not every record up to the
 * next quote (or the end of the file), which is what a parser that just reports the error and
 * resumes where it noticed it would lose.
 *
 * <p>Written for ingest rather than borrowed: recovery needs the exact start of the failed record,
 * which Commons CSV does not expose (its line count takes a lone {@code \r} as a line break, and a
 * record's position is taken before the empty lines it skips). Not thread-safe; runs on executors.
 */
final class CsvTokenizer {
    /**
     * One physical record.
     *
     * @param line 1-based line where it starts
     * @param start offset of its first character in the text
     * @param raw its text as in the file, without the final line break (the first line only for a
     *     failed record)
     * @param cells its fields, or null when it does not parse
     * @param error why it does not parse, or null
     * @param unclosed whether it failed because a quoted field is still open at the end of the text
     */
    record Token(
            long line, int start, String raw, List<String> cells, String error, boolean unclosed) {}

    private final String text;
    private final char delimiter;
    private final char quote;
    private int pos;
    private long line = 1;
    // Of the record being read: where its text ends, and why it fails (null while it parses).
    private int recordEnd;
    private String failure;
    private boolean unclosed;
    // nextQuote's memory: the quote found searching from searchedFrom (-1: none to the end).
    private int searchedFrom = Integer.MAX_VALUE;
    private int foundQuote = -1;

    CsvTokenizer(String text, char delimiter, char quote) {
        this.text = text;
        this.delimiter = delimiter;
        this.quote = quote;
    }

    /** The next record, or null at the end of the text. */
    Token next() {
        skipEmptyLines();
        if (pos >= text.length()) {
            return null;
        }
        int start = pos;
        long startLine = line;
        List<String> cells = new ArrayList<>();
        while (true) {
            boolean more =
                    pos < text.length() && text.charAt(pos) == quote
                            ? quotedField(cells, startLine)
                            : plainField(cells);
            if (failure != null) {
                return failed(start, startLine);
            }
            if (!more) {
                return new Token(startLine, start, raw(start), cells, null, false);
            }
        }
    }

    /** Reads an unquoted field; returns whether another field of the record follows. */
    private boolean plainField(List<String> cells) {
        int from = pos;
        int k = from;
        while (k < text.length()) {
            char c = text.charAt(k);
            if (c == delimiter || c == '\n') {
                break;
            }
            k++;
        }
        boolean lineEnds = k == text.length() || text.charAt(k) == '\n';
        int to = lineEnds && k > from && text.charAt(k - 1) == '\r' ? k - 1 : k;
        cells.add(text.substring(from, to));
        if (k == text.length()) {
            pos = k;
            recordEnd = to;
            return false;
        }
        pos = k + 1;
        if (lineEnds) {
            line++;
            recordEnd = to;
            return false;
        }
        return true;
    }

    /** Reads a quoted field; returns whether another field of the record follows. */
    private boolean quotedField(List<String> cells, long startLine) {
        StringBuilder value = new StringBuilder();
        int from = pos + 1;
        while (true) {
            int q = nextQuote(from);
            if (q < 0) {
                failure =
                        "the quoted field opened on line "
                                + line
                                + " is never closed (a quote is missing or stray): the text ends"
                                + " inside it";
                unclosed = true;
                return false;
            }
            value.append(text, from, q);
            line += newlines(from, q);
            if (q + 1 < text.length() && text.charAt(q + 1) == quote) {
                value.append(quote);
                from = q + 2;
                continue;
            }
            pos = q + 1;
            break;
        }
        cells.add(value.toString());
        if (pos == text.length()) {
            recordEnd = pos;
            return false;
        }
        char c = text.charAt(pos);
        if (c == delimiter) {
            pos++;
            return true;
        }
        boolean crlf = c == '\r' && (pos + 1 == text.length() || text.charAt(pos + 1) == '\n');
        if (c == '\n' || crlf) {
            recordEnd = pos;
            pos += c == '\n' || pos + 1 == text.length() ? 1 : 2;
            line++;
            return false;
        }
        failure =
                "character '"
                        + c
                        + "' follows the closing quote of a field on line "
                        + line
                        + (line == startLine
                                ? ""
                                : " (the field was opened on line " + startLine + ")")
                        + ": a quote inside a quoted field must be doubled";
        return false;
    }

    /**
     * The next quote at or after {@code from}, or -1. Remembers the last answer: after a failed
     * record, parsing resumes before the quote already found (or the end already reached), and
     * searching again would make every stray quote of a file scan its whole rest.
     */
    private int nextQuote(int from) {
        if (from < searchedFrom || (foundQuote >= 0 && from > foundQuote)) {
            searchedFrom = from;
            foundQuote = text.indexOf(quote, from);
        }
        return foundQuote;
    }

    /** Continues on the line after the first line of a record already returned. */
    void resumeOnSecondLine(Token t) {
        pos = text.indexOf('\n', t.start()) + 1;
        line = t.line() + 1;
    }

    /** The failed record starting at {@code start}: its first line; the next starts after it. */
    private Token failed(int start, long startLine) {
        int newline = text.indexOf('\n', start);
        int end = newline < 0 ? text.length() : newline;
        String raw =
                text.substring(start, end > start && text.charAt(end - 1) == '\r' ? end - 1 : end);
        Token token = new Token(startLine, start, raw, null, failure, unclosed);
        pos = newline < 0 ? text.length() : newline + 1;
        line = startLine + 1;
        failure = null;
        unclosed = false;
        return token;
    }

    private String raw(int start) {
        return text.substring(start, recordEnd);
    }

    private void skipEmptyLines() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                pos++;
                line++;
            } else if (c == '\r' && (pos + 1 == text.length() || text.charAt(pos + 1) == '\n')) {
                pos++;
            } else {
                return;
            }
        }
    }

    private long newlines(int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) {
            if (text.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
