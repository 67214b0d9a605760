package io.embedforge.pipeline.ingest;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One record as a reader found it, before validation: its raw fields by canonical name, where it
 * was, and what the reader already knows is wrong with it. Readers never drop a record; they hand
 * every one to the validator, which decides between an output row and a reject.
 *
 * <p>Besides records, a reader hands over a <em>tally</em>: how many physical records it consumed
 * from its file unit, counted as it consumed them (lines, RFC 4180 records, documents, files),
 * independently of the records it emitted. Ingest reconciles the two counts (see {@link
 * IngestReport}), so a reader that swallows records fails the run instead of losing them silently.
 *
 * @param role input role ({@code records}, {@code corpus}, ...)
 * @param file file URI
 * @param position line number (1-based) when {@code lineNumbered}, else byte offset or row index
 * @param lineNumbered whether {@code position} is a line number
 * @param raw the record's text, for reject excerpts
 * @param failure why the reader could not make a record of these bytes, or null when it could
 * @param invalidUtf8 whether the record's bytes were not valid UTF-8
 * @param fields canonical field name to its values (a missing field has no entry)
 * @param wrongType fields whose value had the wrong type (object where text was expected, ...)
 * @param read physical records this element reports as consumed: a tally's count; 1 for a Parquet
 *     row or a line-aligned record, which are consumed and emitted in one step; 0 for a record of a
 *     reader that reports a tally
 * @param tally whether this element is a tally rather than a record
 */
public record ExtractedRecord(
        String role,
        String file,
        long position,
        boolean lineNumbered,
        String raw,
        Failure failure,
        boolean invalidUtf8,
        Map<String, List<String>> fields,
        Set<String> wrongType,
        long read,
        boolean tally)
        implements Serializable {

    /** Why bytes did not make a record: the reject reason and its detail. */
    public record Failure(RejectReason reason, String detail) implements Serializable {}

    /** A record of a reader that reports its physical records with a {@link #tally}. */
    public static ExtractedRecord of(
            String role,
            String file,
            long position,
            boolean lineNumbered,
            String raw,
            boolean invalidUtf8,
            Map<String, List<String>> fields,
            Set<String> wrongType) {
        return new ExtractedRecord(
                role,
                file,
                position,
                lineNumbered,
                raw,
                null,
                invalidUtf8,
                fields,
                wrongType,
                0,
                false);
    }

    /** A record that could not be parsed at all. */
    public static ExtractedRecord malformed(
            String role, String file, long position, boolean lineNumbered, String raw, String why) {
        return failed(role, file, position, lineNumbered, raw, RejectReason.MALFORMED_RECORD, why);
    }

    /** What a reader could not read because the file ends early or its compression is damaged. */
    public static ExtractedRecord truncated(
            String role, String file, long position, boolean lineNumbered, String raw, String why) {
        return failed(role, file, position, lineNumbered, raw, RejectReason.TRUNCATED_INPUT, why);
    }

    private static ExtractedRecord failed(
            String role,
            String file,
            long position,
            boolean lineNumbered,
            String raw,
            RejectReason reason,
            String why) {
        return new ExtractedRecord(
                role,
                file,
                position,
                lineNumbered,
                raw,
                new Failure(reason, why),
                false,
                Map.of(),
                Set.of(),
                0,
                false);
    }

    /** The count of physical records a reader consumed from one file unit. */
    public static ExtractedRecord tally(String role, String file, long read) {
        return new ExtractedRecord(
                role, file, -1, false, null, null, false, Map.of(), Set.of(), read, true);
    }

    /** This record, reporting itself as one physical record consumed (Parquet, parallel). */
    public ExtractedRecord countedOnce() {
        return new ExtractedRecord(
                role,
                file,
                position,
                lineNumbered,
                raw,
                failure,
                invalidUtf8,
                fields,
                wrongType,
                1,
                false);
    }

    /** The parse failure's detail when the record is malformed, else null. */
    public String malformed() {
        return failure != null && failure.reason() == RejectReason.MALFORMED_RECORD
                ? failure.detail()
                : null;
    }

    /** Where the record was, as shown in reject rows. */
    public String location() {
        return location(file, position, lineNumbered);
    }

    public static String location(String file, long position, boolean lineNumbered) {
        if (position < 0) {
            return file;
        }
        return lineNumbered ? file + ":" + position : file + "@" + position;
    }
}
