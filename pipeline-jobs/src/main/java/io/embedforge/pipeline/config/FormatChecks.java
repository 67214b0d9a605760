package io.embedforge.pipeline.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Checks the option values and field selectors of one input against its format. */
final class FormatChecks {
    private static final Pattern GROUP_NAME = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>");
    private static final Pattern INDEX = Pattern.compile("\\$(\\d+)");

    private FormatChecks() {}

    static void check(
            String file,
            String key,
            InputFormat format,
            Options options,
            Map<String, String> fields,
            Map<String, String> parallelFiles) {
        switch (format) {
            case CSV -> csv(file, key, options, fields);
            case FILES -> files(file, key, options, fields);
            case PARALLEL ->
                    fields.forEach(
                            (field, selector) -> {
                                if (!parallelFiles.containsKey(selector)) {
                                    throw ConfigException.badValue(
                                            file,
                                            key + ".fields." + field,
                                            selector,
                                            "one of the parallel files " + parallelFiles.keySet());
                                }
                            });
            case JSON, JSONL ->
                    fields.forEach(
                            (field, selector) -> {
                                try {
                                    JsonPath.parse(selector);
                                } catch (IllegalArgumentException e) {
                                    throw ConfigException.badValue(
                                            file,
                                            key + ".fields." + field,
                                            selector,
                                            e.getMessage());
                                }
                            });
            default -> {}
        }
        if (options.has("min_relevance")) {
            try {
                options.number("min_relevance", 1);
            } catch (NumberFormatException e) {
                throw ConfigException.badValue(
                        file,
                        key + ".options.min_relevance",
                        options.string("min_relevance", ""),
                        "a number");
            }
        }
    }

    private static void csv(String file, String key, Options options, Map<String, String> fields) {
        String delimiter = options.string("delimiter", ",");
        if (!(delimiter.length() == 1
                || delimiter.equals("\\t")
                || delimiter.equals("whitespace"))) {
            throw ConfigException.badValue(
                    file,
                    key + ".options.delimiter",
                    delimiter,
                    "one character, \\t, or whitespace");
        }
        String quote = options.string("quote", "\"");
        if (!(quote.length() == 1 || quote.equals("none"))) {
            throw ConfigException.badValue(
                    file, key + ".options.quote", quote, "one character or none");
        }
        if (delimiter.equals("whitespace") && !quote.equals("none")) {
            throw ConfigException.badValue(
                    file,
                    key + ".options.quote",
                    quote,
                    "none (delimiter whitespace splits unquoted text)");
        }
        boolean header = options.bool("header", true);
        List<String> columns = options.strings("columns");
        fields.forEach(
                (field, selector) -> {
                    if (INDEX.matcher(selector).matches()) {
                        return;
                    }
                    if (!header && !columns.contains(selector)) {
                        throw ConfigException.badValue(
                                file,
                                key + ".fields." + field,
                                selector,
                                "$N (0-based column) or a name in options.columns "
                                        + columns
                                        + " (the file has no header)");
                    }
                });
    }

    private static void files(
            String file, String key, Options options, Map<String, String> fields) {
        String pattern = options.string("path_pattern", null);
        java.util.Set<String> groups = new java.util.TreeSet<>();
        if (pattern != null) {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw ConfigException.badValue(
                        file,
                        key + ".options.path_pattern",
                        pattern,
                        "a Java regular expression (" + e.getDescription() + ")");
            }
            Matcher m = GROUP_NAME.matcher(pattern);
            while (m.find()) {
                groups.add(m.group(1));
            }
        }
        fields.forEach(
                (field, selector) -> {
                    if (!selector.equals("$content")
                            && !selector.equals("$path")
                            && !selector.equals("$filename")
                            && !groups.contains(selector)) {
                        throw ConfigException.badValue(
                                file,
                                key + ".fields." + field,
                                selector,
                                "$content, $path, $filename or a named group of options.path_pattern "
                                        + groups);
                    }
                });
    }
}
