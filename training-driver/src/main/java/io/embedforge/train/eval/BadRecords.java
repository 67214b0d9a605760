package io.embedforge.train.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the readers send a bad record (malformed line, empty text, duplicate id, non-finite score,
 * judgement naming an unknown id): with {@code on_bad_record: fail} the first one stops the run
 * with {@code file:line: reason (detail)}; with {@code skip} it is counted per reason and the first
 * {@link #EXAMPLES} are kept, and both go into {@code eval.json}. Never silent.
 */
public final class BadRecords {

    /** How many locations are kept as examples. */
    public static final int EXAMPLES = 10;

    /** Malformed line or record (wrong column count, bad JSON, unbalanced quote). */
    public static final String MALFORMED = "malformed_record";

    /** A required field is absent or not a string. */
    public static final String MISSING_FIELD = "missing_field";

    /** Text is empty or whitespace only. */
    public static final String EMPTY_TEXT = "empty_text";

    /** An id seen before in the same file (first kept). */
    public static final String DUPLICATE_ID = "duplicate_id";

    /** A score that is not a finite number. */
    public static final String BAD_SCORE = "score_not_finite";

    /** A score outside the scale of the set. */
    public static final String SCORE_RANGE = "score_out_of_range";

    /** A label that is not known. */
    public static final String UNKNOWN_LABEL = "unknown_label";

    /** A judgement whose query id is not in the queries file. */
    public static final String UNKNOWN_QUERY = "qrels_unknown_query";

    /** A judgement whose document id is not in the corpus file. */
    public static final String UNKNOWN_DOC = "qrels_unknown_doc";

    private final boolean skip;
    private final Map<String, Long> counts = new TreeMap<>();
    private final List<String> examples = new ArrayList<>();

    /**
     * @param skip count and go on (true) or fail at the first bad record (false)
     */
    public BadRecords(boolean skip) {
        this.skip = skip;
    }

    /**
     * Reports one bad record.
     *
     * @param file the file
     * @param line 1-based first physical line of the record
     * @param reason one of the constants
     * @param detail what is wrong, with the offending value
     * @throws IOException {@code file:line: reason (detail)} unless skipping
     */
    public void report(Path file, long line, String reason, String detail) throws IOException {
        String where = file + ":" + line + ": " + reason + " (" + detail + ")";
        if (!skip) {
            throw new IOException(
                    where + "; set on_bad_record: skip to count and skip such records");
        }
        counts.merge(reason, 1L, Long::sum);
        if (examples.size() < EXAMPLES) {
            examples.add(where);
        }
    }

    /** Skipped records per reason. */
    public Map<String, Long> counts() {
        return Map.copyOf(counts);
    }

    /** Total skipped. */
    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The first locations, as {@code file:line: reason (detail)}. */
    public List<String> examples() {
        return List.copyOf(examples);
    }
}
