package io.embedforge.pipeline.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.JsonPath;
import io.embedforge.pipeline.config.Roles;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Field extraction for JSON Lines and JSON documents. One line (or document) may hold several
 * records when a {@code record_path} with {@code []} is configured. A line or document must be
 * exactly one JSON value: anything after it ({@code {...} garbage}, a second object {@code
 * {...}{...}}) makes it a {@code malformed_record}, never a silently dropped tail. Runs on
 * executors.
 */
final class JsonRecords {
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final InputSpec spec;
    private final JsonPath recordPath;
    private final Map<String, JsonPath> selectors = new LinkedHashMap<>();
    private final boolean recordsAreArrays;

    JsonRecords(InputSpec spec) {
        this.spec = spec;
        String rp = spec.options().string("record_path", null);
        this.recordPath = rp == null ? null : JsonPath.parse(rp);
        spec.fields().forEach((field, selector) -> selectors.put(field, JsonPath.parse(selector)));
        this.recordsAreArrays =
                !selectors.isEmpty()
                        && selectors.values().stream().allMatch(JsonPath::startsWithIndex);
    }

    /** Records of one JSON Lines unit, lazily, ending with the unit's tally. */
    Iterator<ExtractedRecord> lines(LineIterator lines, String file) {
        return new LineRecords(
                spec.role(),
                file,
                lines,
                (line, out) ->
                        parse(line.text(), file, line.position(), line.lineNumbered(), out::add));
    }

    /**
     * Records of one whole JSON document, then its tally; a document that could not be read to its
     * end is one {@code truncated_input} record.
     */
    void document(InputFiles.Content content, String file, Consumer<ExtractedRecord> out) {
        String text = RecordReaders.text(content.bytes());
        long read;
        if (content.truncation() != null) {
            out.accept(
                    ExtractedRecord.truncated(
                            spec.role(),
                            file,
                            1,
                            true,
                            text,
                            "the compressed file ends early or is damaged ("
                                    + content.truncation()
                                    + "): the JSON document cannot be read"));
            read = 1;
        } else {
            read = parse(text, file, 1, true, out);
        }
        out.accept(ExtractedRecord.tally(spec.role(), file, read));
    }

    /** Hands over the records of one line or document; returns the physical records it held. */
    private long parse(
            String text,
            String file,
            long position,
            boolean lineNumbered,
            Consumer<ExtractedRecord> out) {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            out.accept(
                    ExtractedRecord.malformed(
                            spec.role(),
                            file,
                            position,
                            lineNumbered,
                            text,
                            "not valid JSON: " + e.getOriginalMessage()));
            return 1;
        }
        if (root == null || !(root.isObject() || root.isArray())) {
            out.accept(
                    ExtractedRecord.malformed(
                            spec.role(),
                            file,
                            position,
                            lineNumbered,
                            text,
                            "not a JSON object or array"));
            return 1;
        }
        boolean invalid = Utf8.hasInvalid(text);
        if (recordPath == null) {
            out.accept(record(root, List.of(root), text, file, position, lineNumbered, invalid));
            return 1;
        }
        List<ExtractedRecord> found = new ArrayList<>();
        recordPath.forEachRecord(
                root,
                (node, chain) -> {
                    String raw = node.toString();
                    found.add(
                            record(
                                    node,
                                    chain,
                                    raw,
                                    file,
                                    position,
                                    lineNumbered,
                                    invalid && Utf8.hasInvalid(raw)));
                });
        if (found.isEmpty()) {
            out.accept(
                    ExtractedRecord.malformed(
                            spec.role(),
                            file,
                            position,
                            lineNumbered,
                            text,
                            "record_path '" + recordPath + "' names no record"));
            return 1;
        }
        found.forEach(out);
        return found.size();
    }

    private ExtractedRecord record(
            JsonNode node,
            List<JsonNode> chain,
            String raw,
            String file,
            long position,
            boolean lineNumbered,
            boolean invalid) {
        if (recordsAreArrays ? !node.isArray() : !node.isObject()) {
            return ExtractedRecord.malformed(
                    spec.role(),
                    file,
                    position,
                    lineNumbered,
                    raw,
                    "record is not a JSON "
                            + (recordsAreArrays ? "array" : "object")
                            + " as the field selectors expect");
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        Set<String> wrongType = new LinkedHashSet<>();
        selectors.forEach(
                (field, path) -> {
                    List<String> values = new ArrayList<>();
                    boolean multi = Roles.MULTI_VALUED.contains(field);
                    for (JsonNode v : path.select(chain)) {
                        if (!collect(v, values, multi)) {
                            wrongType.add(field);
                        }
                    }
                    if (!values.isEmpty()) {
                        fields.put(field, values);
                    }
                });
        return ExtractedRecord.of(
                spec.role(), file, position, lineNumbered, raw, invalid, fields, wrongType);
    }

    /** Adds the text of a scalar (or of each scalar of an array); false on a wrong type. */
    private static boolean collect(JsonNode v, List<String> values, boolean allowArray) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return true;
        }
        if (v.isValueNode()) {
            values.add(v.asText());
            return true;
        }
        if (v.isArray() && allowArray) {
            boolean ok = true;
            for (JsonNode e : v) {
                ok &= collect(e, values, false);
            }
            return ok;
        }
        return false;
    }
}
