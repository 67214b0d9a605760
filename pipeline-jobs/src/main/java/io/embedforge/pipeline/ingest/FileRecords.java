package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One record per file (aclImdb's {@code train/pos/123_9.txt}): the text is the file's content,
 * other fields come from named groups of a regex over the path, such as the label folder. Runs on
 * executors.
 */
final class FileRecords {
    private final InputSpec spec;
    private final Pattern pattern;

    FileRecords(InputSpec spec) {
        this.spec = spec;
        String p = spec.options().string("path_pattern", null);
        this.pattern = p == null ? null : Pattern.compile(p);
    }

    /** Hands over the file's record, or what could not be read of it, then a tally of one. */
    void read(InputFiles.Content content, String file, Consumer<ExtractedRecord> out) {
        String text = RecordReaders.text(content.bytes());
        out.accept(
                content.truncation() == null
                        ? record(file, text)
                        : ExtractedRecord.truncated(
                                spec.role(),
                                file,
                                -1,
                                false,
                                text,
                                "the compressed file ends early or is damaged ("
                                        + content.truncation()
                                        + "): its text is incomplete"));
        out.accept(ExtractedRecord.tally(spec.role(), file, 1));
    }

    private ExtractedRecord record(String file, String content) {
        Matcher m = pattern == null ? null : pattern.matcher(file);
        if (m != null && !m.find()) {
            return ExtractedRecord.malformed(
                    spec.role(),
                    file,
                    -1,
                    false,
                    content,
                    "path does not match path_pattern " + pattern);
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        spec.fields()
                .forEach(
                        (field, selector) -> {
                            String value =
                                    switch (selector) {
                                        case "$content" -> content;
                                        case "$path" -> file;
                                        case "$filename" ->
                                                file.substring(file.lastIndexOf('/') + 1);
                                        default -> m == null ? null : m.group(selector);
                                    };
                            if (value != null) {
                                fields.put(field, List.of(value));
                            }
                        });
        return ExtractedRecord.of(
                spec.role(), file, -1, false, content, Utf8.hasInvalid(content), fields, Set.of());
    }
}
