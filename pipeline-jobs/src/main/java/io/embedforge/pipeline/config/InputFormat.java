package io.embedforge.pipeline.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The published layouts the readers understand. {@link #BEIR} and {@link #TREC} are presets that
 * the loader expands into JSONL and CSV inputs with the published field names, so only the first
 * six need reader code.
 */
public enum InputFormat {
    JSONL(Set.of("record_path")),
    JSON(Set.of("record_path")),
    CSV(Set.of("delimiter", "header", "columns", "quote", "allow_extra_columns")),
    PARQUET(Set.of()),
    FILES(Set.of("path_pattern")),
    PARALLEL(Set.of()),
    BEIR(Set.of("qrels_split")),
    TREC(Set.of());

    /** Options that every format accepts, interpreted by the validators rather than the readers. */
    public static final Set<String> COMMON_OPTIONS =
            Set.of("min_relevance", "categories_separator");

    private final Set<String> options;

    InputFormat(Set<String> options) {
        this.options = options;
    }

    /** Format-specific option keys this format accepts. */
    public Set<String> options() {
        return options;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static InputFormat parse(String file, String key, String value) {
        for (InputFormat f : values()) {
            if (f.configName().equals(value)) {
                return f;
            }
        }
        throw ConfigException.badValue(
                file,
                key,
                value,
                Arrays.stream(values())
                        .map(InputFormat::configName)
                        .collect(Collectors.joining(", ")));
    }
}
