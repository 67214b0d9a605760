package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;

/**
 * Line-aligned files (SNLI's {@code s1.dev}, {@code s2.dev}, {@code labels.dev}): line N of every
 * file makes record N. The files are read side by side in one pass, merging by line number, so no
 * line is held longer than its record and nothing is shuffled. Each line number present in any file
 * is one physical record; a line missing (blank) in one file leaves that field missing.
 *
 * <p>When a compressed file cannot be read to its end, every record from its first unreadable line
 * on is a {@code truncated_input} record: its line in that file is lost, so it cannot be aligned.
 * Records carry the path of the first file (by field name) as their location. Runs on executors.
 */
final class ParallelRecords implements Iterator<ExtractedRecord> {
    private final String role;
    private final String file;
    private final List<String> names = new ArrayList<>();
    private final List<String> paths = new ArrayList<>();
    private final List<LineIterator> lines = new ArrayList<>();
    private final List<LineIterator.Line> heads = new ArrayList<>();
    private final Map<String, String> selectorToField = new LinkedHashMap<>();
    private long read;
    private boolean truncationReported;
    private ExtractedRecord next;
    private boolean done;

    ParallelRecords(InputSpec input, Configuration conf) {
        this.role = input.role();
        input.parallelFiles().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(
                        f -> {
                            names.add(f.getKey());
                            paths.add(f.getValue());
                            LineIterator it =
                                    new LineIterator(
                                            new FileUnit(f.getValue(), 0, Long.MAX_VALUE), conf);
                            lines.add(it);
                            heads.add(it.hasNext() ? it.next() : null);
                        });
        this.file = paths.get(0);
        input.fields().forEach((field, selector) -> selectorToField.put(selector, field));
    }

    @Override
    public boolean hasNext() {
        if (next == null && !done) {
            next = advance();
        }
        return next != null;
    }

    @Override
    public ExtractedRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ExtractedRecord r = next;
        next = null;
        return r;
    }

    /** The record of the lowest pending line number, then an unread file's rest, then the tally. */
    private ExtractedRecord advance() {
        long position = Long.MAX_VALUE;
        for (LineIterator.Line head : heads) {
            if (head != null) {
                position = Math.min(position, head.position());
            }
        }
        int cut = firstTruncated(position);
        if (cut >= 0 && (position != Long.MAX_VALUE || !truncationReported)) {
            // A file was cut at or before this line: the record cannot be aligned. When no file
            // reaches it, the cut file's rest is still reported once.
            skipAt(position);
            truncationReported = true;
            read++;
            return truncated(cut, position);
        }
        if (position == Long.MAX_VALUE) {
            done = true;
            return read > 0 ? ExtractedRecord.tally(role, file, read) : null;
        }
        read++;
        return record(position);
    }

    /** The first file cut at or before {@code position}, or -1. */
    private int firstTruncated(long position) {
        for (int i = 0; i < lines.size(); i++) {
            LineIterator.Truncation t = heads.get(i) == null ? lines.get(i).truncation() : null;
            if (t != null && t.line() <= position) {
                return i;
            }
        }
        return -1;
    }

    private ExtractedRecord record(long position) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        StringBuilder raw = new StringBuilder();
        for (int i = 0; i < heads.size(); i++) {
            LineIterator.Line head = heads.get(i);
            if (head == null || head.position() != position) {
                continue;
            }
            raw.append(raw.length() == 0 ? "" : " | ")
                    .append(names.get(i))
                    .append('=')
                    .append(head.text());
            String field = selectorToField.get(names.get(i));
            if (field != null) {
                values.put(field, List.of(head.text()));
            }
            advanceFile(i);
        }
        String text = raw.toString();
        return ExtractedRecord.of(
                role, file, position, true, text, Utf8.hasInvalid(text), values, Set.of());
    }

    private ExtractedRecord truncated(int cut, long position) {
        LineIterator.Truncation t = lines.get(cut).truncation();
        return ExtractedRecord.truncated(
                role,
                file,
                position == Long.MAX_VALUE ? t.line() : position,
                true,
                t.partial(),
                paths.get(cut)
                        + " ("
                        + names.get(cut)
                        + "): "
                        + t.detail()
                        + ", so this record cannot be aligned");
    }

    private void skipAt(long position) {
        for (int i = 0; i < heads.size(); i++) {
            if (heads.get(i) != null && heads.get(i).position() == position) {
                advanceFile(i);
            }
        }
    }

    private void advanceFile(int i) {
        LineIterator it = lines.get(i);
        heads.set(i, it.hasNext() ? it.next() : null);
    }
}
