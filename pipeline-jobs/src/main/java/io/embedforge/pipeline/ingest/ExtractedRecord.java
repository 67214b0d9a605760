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
 * @param role input role ({@code records}, {@code corpus}, ...)
 * @param file file URI
 * @param position line number (1-based) when {@code lineNumbered}, else byte offset or row index
 * @param lineNumbered whether {@code position} is a line number
 * @param raw the record's text, for reject excerpts
 * @param malformed why the record does not parse, or null when it does
 * @param invalidUtf8 whether the record's bytes were not valid UTF-8
 * @param fields canonical field name to its values (a missing field has no entry)
 * @param wrongType fields whose value had the wrong type (object where text was expected, ...)
 */
public record ExtractedRecord(
        String role,
        String file,
        long position,
        boolean lineNumbered,
        String raw,
        String malformed,
        boolean invalidUtf8,
        Map<String, List<String>> fields,
        Set<String> wrongType)
        implements Serializable {

    /** A record that could not be parsed at all. */
    public static ExtractedRecord malformed(
            String role, String file, long position, boolean lineNumbered, String raw, String why) {
        return new ExtractedRecord(
                role, file, position, lineNumbered, raw, why, false, Map.of(), Set.of());
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
