package io.embedforge.pipeline.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a source teaches the model; decides its canonical table and the miner of its negatives. */
public enum TaskType {
    RETRIEVAL,
    CLASSIFICATION,
    CLUSTERING,
    STS;

    /** The name used in configuration and in the {@code task_type} column. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static TaskType parse(String file, String key, String value) {
        for (TaskType t : values()) {
            if (t.configName().equals(value)) {
                return t;
            }
        }
        throw ConfigException.badValue(file, key, value, allowedNames());
    }

    static String allowedNames() {
        return Arrays.stream(values()).map(TaskType::configName).collect(Collectors.joining(", "));
    }
}
