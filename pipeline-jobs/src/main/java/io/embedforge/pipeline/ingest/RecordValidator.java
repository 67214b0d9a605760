package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.config.TaskType;
import io.embedforge.pipeline.schema.RejectsTable;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Turns extracted records into canonical rows or reject rows, applying the checks in one fixed
 * order (malformed or truncated, invalid UTF-8 (bad bytes, then unpaired surrogates), missing
 * field, wrong type (including number syntax, checked on the raw text), control characters and
 * noncharacters, empty text, score, label, filter) so that every record gets exactly one reason.
 * Text is normalised here ({@link TextNormalizer}) before it is checked or hashed. A reader's tally
 * passes through as a counting outcome. Runs on executors.
 */
public final class RecordValidator implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String STAGE = "ingest";

    private static final Map<String, List<String>> TEXT_FIELDS =
            Map.of(
                    "retrieval",
                    List.of("query", "positive"),
                    InputSpec.QUERIES,
                    List.of("query_id", "text"),
                    InputSpec.CORPUS,
                    List.of("doc_id", "text"),
                    InputSpec.QRELS,
                    List.of("query_id", "doc_id"),
                    "classification",
                    List.of("text", "label"),
                    "clustering",
                    List.of("title", "categories"),
                    "sts",
                    List.of("text_a", "text_b", "score"));

    private final SourceConfig source;

    public RecordValidator(SourceConfig source) {
        this.source = source;
    }

    /**
     * The outcomes of one record: one, or one per positive of a multi-positive pair record; of a
     * reader's tally, one outcome that carries its count.
     */
    public List<Outcome> validate(ExtractedRecord extracted) {
        List<Outcome> out = new ArrayList<>(1);
        if (extracted.tally()) {
            out.add(
                    new Outcome(
                            source.name(),
                            extracted.role(),
                            IngestSchemas.kind(source.taskType(), extracted.role()),
                            extracted.read(),
                            false,
                            null,
                            null));
            return out;
        }
        String failure = rawFailure(extracted);
        if (failure != null) {
            out.add(reject(extracted, true, failure));
            return out;
        }
        ExtractedRecord r = normalized(extracted);
        failure = normalizedFailure(r);
        if (failure != null) {
            out.add(reject(r, true, failure));
            return out;
        }
        String role = r.role();
        if (role.equals(InputSpec.RECORDS)) {
            switch (source.taskType()) {
                case RETRIEVAL -> pairs(r, out);
                case CLASSIFICATION -> out.add(classification(r));
                case CLUSTERING -> out.add(clustering(r));
                case STS -> out.add(sts(r));
            }
        } else if (role.equals(InputSpec.QUERIES)) {
            out.add(
                    ok(
                            r,
                            true,
                            RowFactory.create(
                                    source.name(),
                                    source.split(),
                                    first(r, "query_id"),
                                    first(r, "text"))));
        } else if (role.equals(InputSpec.CORPUS)) {
            String title = first(r, "title");
            out.add(
                    ok(
                            r,
                            true,
                            RowFactory.create(
                                    source.name(),
                                    source.split(),
                                    first(r, "doc_id"),
                                    title == null || title.isEmpty() ? null : title,
                                    first(r, "text"))));
        } else {
            out.add(qrels(r));
        }
        return out;
    }

    /** "reason|detail" of the first failing check on the text as read, or null. */
    private String rawFailure(ExtractedRecord r) {
        if (r.failure() != null) {
            return r.failure().reason().code() + "|" + r.failure().detail();
        }
        String failure = encodingFailure(r);
        if (failure == null) {
            failure = missingField(r);
        }
        if (failure == null) {
            failure = wrongType(r);
        }
        return failure == null ? controlCharacters(r) : failure;
    }

    /** Bad bytes, then text that is not Unicode (unpaired surrogates from escapes). */
    private static String encodingFailure(ExtractedRecord r) {
        if (r.invalidUtf8() || anyInvalid(r.fields())) {
            return RejectReason.INVALID_UTF8.code() + "|record bytes are not valid UTF-8";
        }
        String surrogate = unpairedSurrogate(r.fields());
        return surrogate == null ? null : RejectReason.INVALID_UTF8.code() + "|" + surrogate;
    }

    private String missingField(ExtractedRecord r) {
        for (String field : required(r.role())) {
            if (!r.fields().containsKey(field) && !r.wrongType().contains(field)) {
                return RejectReason.MISSING_FIELD.code()
                        + "|field '"
                        + field
                        + "' ("
                        + r.role()
                        + " selector '"
                        + selectorOf(r.role(), field)
                        + "') is missing";
            }
        }
        return null;
    }

    /**
     * An object or array where text was expected, or a number field not in {@link Decimals}' syntax
     * (checked raw: normalisation would hide a leading space).
     */
    private String wrongType(ExtractedRecord r) {
        for (String field : r.wrongType()) {
            return RejectReason.WRONG_TYPE.code()
                    + "|field '"
                    + field
                    + "' is an object or nested array where text was expected";
        }
        for (String field : numericFields(r.role())) {
            String value = first(r, field);
            // A blank required number is empty_text, checked after normalisation.
            boolean blankRequired =
                    value != null && value.isBlank() && required(r.role()).contains(field);
            if (value != null
                    && !blankRequired
                    && Decimals.parse(value) == null
                    && !(field.equals("score") && Decimals.isNaN(value))) {
                return RejectReason.WRONG_TYPE.code()
                        + "|"
                        + field
                        + " '"
                        + value
                        + "' is not a decimal number ("
                        + Decimals.SYNTAX
                        + ")";
            }
        }
        return null;
    }

    /** Control characters and noncharacters: valid UTF-8 that is not text. */
    private static String controlCharacters(ExtractedRecord r) {
        for (Map.Entry<String, List<String>> e : r.fields().entrySet()) {
            for (String v : e.getValue()) {
                int cp = TextNormalizer.firstControlCharacter(v);
                String what = "control character";
                if (cp < 0) {
                    cp = firstNoncharacter(v);
                    what = "noncharacter";
                }
                if (cp >= 0) {
                    return RejectReason.CONTROL_CHARACTERS.code()
                            + "|field '"
                            + e.getKey()
                            + "' holds "
                            + what
                            + " U+"
                            + String.format("%04X", cp)
                            + (what.equals("noncharacter")
                                    ? " (valid UTF-8, but reserved by Unicode: not text)"
                                    : "");
                }
            }
        }
        return null;
    }

    /**
     * The detail of the first field value holding an unpaired surrogate (a JSON escape such as
     * {@code "\ud800"}): not a Unicode character, it cannot be written as UTF-8. Null when none.
     */
    private static String unpairedSurrogate(Map<String, List<String>> fields) {
        for (Map.Entry<String, List<String>> e : fields.entrySet()) {
            for (String v : e.getValue()) {
                int s = Utf8.firstUnpairedSurrogate(v);
                if (s >= 0) {
                    return "field '"
                            + e.getKey()
                            + "' holds an unpaired surrogate U+"
                            + String.format("%04X", s)
                            + " (an escape of half a UTF-16 pair): not Unicode text, it cannot be"
                            + " written as UTF-8";
                }
            }
        }
        return null;
    }

    /**
     * The first noncharacter (U+FDD0..U+FDEF and the last two code points of every plane, U+FFFE
     * and U+FFFF among them), or -1. They are valid UTF-8 but reserved for a program's internal
     * use, never text: like control characters they mark junk or a broken conversion (U+FFFE is a
     * byte order mark read with the wrong byte order).
     */
    static int firstNoncharacter(String text) {
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) {
                return cp;
            }
            i += Character.charCount(cp);
        }
        return -1;
    }

    /** The record with every field value normalised. */
    private static ExtractedRecord normalized(ExtractedRecord r) {
        Map<String, List<String>> fields = new java.util.LinkedHashMap<>();
        r.fields()
                .forEach(
                        (k, values) -> {
                            List<String> copy = new ArrayList<>(values.size());
                            values.forEach(v -> copy.add(TextNormalizer.normalize(v)));
                            fields.put(k, copy);
                        });
        return new ExtractedRecord(
                r.role(),
                r.file(),
                r.position(),
                r.lineNumbered(),
                r.raw(),
                r.failure(),
                r.invalidUtf8(),
                fields,
                r.wrongType(),
                r.read(),
                false);
    }

    /** "reason|detail" of the first failing check on normalised text, or null. */
    private String normalizedFailure(ExtractedRecord r) {
        List<String> required = required(r.role());
        for (Map.Entry<String, List<String>> e : r.fields().entrySet()) {
            boolean requiredField = required.contains(e.getKey());
            List<String> values = e.getValue();
            for (int i = 0; i < values.size(); i++) {
                String normalized = values.get(i);
                if (normalized.isEmpty() && (requiredField || e.getKey().equals("negatives"))) {
                    return RejectReason.EMPTY_TEXT.code()
                            + "|field '"
                            + e.getKey()
                            + (values.size() > 1 ? "[" + i + "]" : "")
                            + "' is empty after normalisation";
                }
            }
        }
        if (source.taskType() == TaskType.STS && r.role().equals(InputSpec.RECORDS)) {
            String scoreFailure = scoreFailure(first(r, "score"));
            if (scoreFailure != null) {
                return scoreFailure;
            }
        }
        if (source.taskType() == TaskType.CLASSIFICATION && r.role().equals(InputSpec.RECORDS)) {
            String label = first(r, "label");
            if (!source.labels().knows(label)) {
                return RejectReason.UNKNOWN_LABEL.code()
                        + "|label '"
                        + label
                        + "' is not in the label map";
            }
        }
        for (Map.Entry<String, Set<String>> f : source.filter().entrySet()) {
            String value = first(r, f.getKey());
            if (r.fields().containsKey(f.getKey()) || required.contains(f.getKey())) {
                if (value == null || !f.getValue().contains(value)) {
                    return RejectReason.FILTERED.code()
                            + "|"
                            + f.getKey()
                            + " '"
                            + value
                            + "' not in "
                            + f.getValue();
                }
            } else if (fieldMapped(r.role(), f.getKey())) {
                return RejectReason.FILTERED.code()
                        + "|"
                        + f.getKey()
                        + " is absent; kept values: "
                        + f.getValue();
            }
        }
        return null;
    }

    /** The fields of a role that must be decimal numbers (their syntax is checked raw). */
    private List<String> numericFields(String role) {
        if (role.equals(InputSpec.QRELS)) {
            return List.of("relevance");
        }
        return source.taskType() == TaskType.STS && role.equals(InputSpec.RECORDS)
                ? List.of("score")
                : List.of();
    }

    private String scoreFailure(String raw) {
        if (Decimals.isNaN(raw)) {
            return RejectReason.SCORE_NAN.code() + "|score is NaN";
        }
        if (!source.score().inRange(Decimals.parse(raw))) {
            return RejectReason.SCORE_OUT_OF_RANGE.code()
                    + "|score "
                    + raw
                    + " outside ["
                    + source.score().min()
                    + ", "
                    + source.score().max()
                    + "]";
        }
        return null;
    }

    private void pairs(ExtractedRecord r, List<Outcome> out) {
        String query = first(r, "query");
        String queryId = orHash(first(r, "query_id"), query);
        String title = first(r, "positive_title");
        List<String> positives = r.fields().get("positive");
        List<String> negatives = r.fields().getOrDefault("negatives", List.of());
        List<String> negativeIds = new ArrayList<>(negatives.size());
        for (String n : negatives) {
            negativeIds.add(StableIds.of(source.name(), n));
        }
        String givenId = positives.size() == 1 ? first(r, "positive_id") : null;
        for (int i = 0; i < positives.size(); i++) {
            String positive =
                    title == null || title.isEmpty()
                            ? positives.get(i)
                            : title + " " + positives.get(i);
            out.add(
                    ok(
                            r,
                            i == 0,
                            RowFactory.create(
                                    source.name(),
                                    source.split(),
                                    StableIds.of(source.name(), query, positive),
                                    queryId,
                                    query,
                                    orHash(givenId, positive),
                                    positive,
                                    negativeIds.toArray(new String[0]),
                                    negatives.toArray(new String[0]))));
        }
    }

    private Outcome classification(ExtractedRecord r) {
        String text = first(r, "text");
        String label = first(r, "label");
        String labelText = first(r, "label_text");
        if (labelText == null || labelText.isEmpty()) {
            labelText = source.labels().textOf(label);
        }
        return ok(
                r,
                true,
                RowFactory.create(
                        source.name(),
                        source.split(),
                        StableIds.of(source.name(), text, label),
                        text,
                        label,
                        labelText));
    }

    private Outcome clustering(ExtractedRecord r) {
        String title = first(r, "title");
        String abstractText = first(r, "abstract");
        if (abstractText != null && abstractText.isEmpty()) {
            abstractText = null;
        }
        List<String> categories = new ArrayList<>();
        String separator = inputOption(r.role(), "categories_separator");
        for (String c : r.fields().get("categories")) {
            if (separator != null) {
                for (String part : c.split(java.util.regex.Pattern.quote(separator))) {
                    if (!part.isBlank()) {
                        categories.add(part.strip());
                    }
                }
            } else if (!c.isBlank()) {
                categories.add(c);
            }
        }
        String category = first(r, "category");
        if (category == null || category.isEmpty()) {
            category = categories.get(0);
        } else if (!categories.contains(category)) {
            categories.add(0, category);
        }
        return ok(
                r,
                true,
                RowFactory.create(
                        source.name(),
                        source.split(),
                        StableIds.of(source.name(), title, abstractText, category),
                        title,
                        abstractText,
                        category,
                        categories.toArray(new String[0])));
    }

    private Outcome sts(ExtractedRecord r) {
        String a = first(r, "text_a");
        String b = first(r, "text_b");
        double raw = Decimals.parse(first(r, "score"));
        double score = source.score().rescale(raw);
        return ok(
                r,
                true,
                RowFactory.create(
                        source.name(),
                        source.split(),
                        StableIds.of(source.name(), a, b, Double.toString(score)),
                        a,
                        b,
                        score));
    }

    private Outcome qrels(ExtractedRecord r) {
        String rel = first(r, "relevance");
        double relevance = rel == null ? 1.0 : Decimals.parse(rel);
        return ok(
                r,
                true,
                RowFactory.create(
                        source.name(),
                        source.split(),
                        first(r, "query_id"),
                        first(r, "doc_id"),
                        relevance,
                        excerpt(r.raw())));
    }

    private Outcome ok(ExtractedRecord r, boolean first, Row row) {
        Object[] values = new Object[row.length() + 3];
        for (int i = 0; i < row.length(); i++) {
            values[i] = row.get(i);
        }
        values[row.length()] = r.file();
        values[row.length() + 1] = r.position();
        values[row.length() + 2] = r.location();
        return new Outcome(
                source.name(),
                r.role(),
                IngestSchemas.kind(source.taskType(), r.role()),
                first ? r.read() : 0,
                first,
                RowFactory.create(values),
                null);
    }

    private Outcome reject(ExtractedRecord r, boolean first, String failure) {
        int bar = failure.indexOf('|');
        return new Outcome(
                source.name(),
                r.role(),
                IngestSchemas.kind(source.taskType(), r.role()),
                first ? r.read() : 0,
                first,
                null,
                rejectRow(
                        source.name(),
                        source.split(),
                        r.role(),
                        failure.substring(0, bar),
                        r.location(),
                        failure.substring(bar + 1),
                        r.raw(),
                        r.file(),
                        r.position()));
    }

    /** A reject row of {@link IngestSchemas#REJECTS}. */
    static Row rejectRow(
            String source,
            String split,
            String role,
            String reason,
            String location,
            String detail,
            String raw,
            String file,
            long position) {
        return RowFactory.create(
                source,
                split,
                STAGE,
                role,
                reason,
                location,
                Utf8.display(detail),
                excerpt(raw),
                file,
                position,
                location);
    }

    static String excerpt(String raw) {
        if (raw == null) {
            return null;
        }
        String shown = Utf8.display(raw);
        return shown.length() <= RejectsTable.RAW_EXCERPT_CHARS
                ? shown
                : shown.substring(0, RejectsTable.RAW_EXCERPT_CHARS);
    }

    private List<String> required(String role) {
        return switch (role) {
            case InputSpec.QUERIES -> List.of("query_id", "text");
            case InputSpec.CORPUS -> List.of("doc_id", "text");
            case InputSpec.QRELS -> List.of("query_id", "doc_id");
            default ->
                    TEXT_FIELDS.get(
                            source.taskType() == TaskType.RETRIEVAL
                                    ? "retrieval"
                                    : source.taskType().configName());
        };
    }

    private boolean fieldMapped(String role, String field) {
        InputSpec in = source.input(role);
        return in != null && in.fields().containsKey(field);
    }

    private String selectorOf(String role, String field) {
        InputSpec in = source.input(role);
        return in == null ? "?" : in.fields().getOrDefault(field, "?");
    }

    private String inputOption(String role, String key) {
        InputSpec in = source.input(role);
        return in == null ? null : in.options().string(key, null);
    }

    private static boolean anyInvalid(Map<String, List<String>> fields) {
        for (List<String> values : fields.values()) {
            for (String v : values) {
                if (Utf8.hasInvalid(v)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String first(ExtractedRecord r, String field) {
        List<String> values = r.fields().get(field);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private String orHash(String id, String text) {
        return id == null || id.isEmpty() ? StableIds.of(source.name(), text) : id;
    }
}
