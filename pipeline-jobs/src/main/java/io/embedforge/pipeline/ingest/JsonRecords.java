package io.embedforge.pipeline.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
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
 * records when a {@code record_path} with {@code []} is configured. Runs on executors.
 */
final class JsonRecords {
    private static final ObjectMapper MAPPER = new ObjectMapper();

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

    /** Records of one JSON Lines unit, lazily. */
    Iterator<ExtractedRecord> lines(LineIterator lines, String file) {
        return new Iterator<>() {
            private final List<ExtractedRecord> pending = new ArrayList<>();
            private int index;

            @Override
            public boolean hasNext() {
                while (index == pending.size()) {
                    if (!lines.hasNext()) {
                        return false;
                    }
                    pending.clear();
                    index = 0;
                    LineIterator.Line line = lines.next();
                    parse(line.text(), file, line.position(), line.lineNumbered(), pending::add);
                }
                return true;
            }

            @Override
            public ExtractedRecord next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return pending.get(index++);
            }
        };
    }

    /** Records of one whole JSON document. */
    void document(String text, String file, Consumer<ExtractedRecord> out) {
        parse(text, file, 1, true, out);
    }

    private void parse(
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
            return;
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
            return;
        }
        boolean invalid = Utf8.hasInvalid(text);
        if (recordPath == null) {
            out.accept(record(root, List.of(root), text, file, position, lineNumbered, invalid));
            return;
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
        }
        found.forEach(out);
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
        return new ExtractedRecord(
                spec.role(), file, position, lineNumbered, raw, null, invalid, fields, wrongType);
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
