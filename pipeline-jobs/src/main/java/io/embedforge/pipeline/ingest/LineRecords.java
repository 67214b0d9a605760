package io.embedforge.pipeline.ingest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The records of a line format's unit, lazily: each line parsed into records, then, when a
 * compressed file ended early, one {@code truncated_input} record for what could not be read, then
 * the {@link ExtractedRecord#tally tally} of physical records. Runs on executors.
 */
final class LineRecords implements Iterator<ExtractedRecord> {
    /** Parses one line into records. */
    interface LineParser {
        /**
         * Adds the line's records to {@code out}; returns how many physical records the line held
         * (1 for a plain line, the records a {@code record_path} selects in it).
         */
        long parse(LineIterator.Line line, List<ExtractedRecord> out);
    }

    private final String role;
    private final String file;
    private final LineIterator lines;
    private final LineParser parser;
    private final List<ExtractedRecord> pending = new ArrayList<>();
    private int index;
    private long read;
    private boolean finished;

    LineRecords(String role, String file, LineIterator lines, LineParser parser) {
        this.role = role;
        this.file = file;
        this.lines = lines;
        this.parser = parser;
    }

    @Override
    public boolean hasNext() {
        while (index == pending.size()) {
            if (finished) {
                return false;
            }
            pending.clear();
            index = 0;
            if (lines.hasNext()) {
                read += parser.parse(lines.next(), pending);
            } else {
                finish();
            }
        }
        return true;
    }

    private void finish() {
        finished = true;
        LineIterator.Truncation t = lines.truncation();
        if (t != null) {
            pending.add(
                    ExtractedRecord.truncated(role, file, t.line(), true, t.partial(), t.detail()));
            read++;
        }
        if (read > 0) {
            pending.add(ExtractedRecord.tally(role, file, read));
        }
    }

    @Override
    public ExtractedRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return pending.get(index++);
    }
}
