package io.embedforge.pipeline.config;

import io.embedforge.pipeline.common.Ordered;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One source instance, fully resolved: a dataset file from {@code conf/sources/} merged with its
 * profile entry. Shipped to executors by the ingest readers and validators.
 *
 * @param name instance name: the {@code source} column of every row it produces
 * @param dataset the dataset file it was built from ({@code conf/sources/<dataset>.yaml})
 * @param file where it was defined, for error messages
 * @param taskType what it teaches
 * @param split value of the {@code split} column
 * @param instruction task definition put before queries ({@code Instruct: ...\nQuery: })
 * @param symmetric whether documents carry the instruction too (STS)
 * @param inputs its inputs by role
 * @param labels label mapping (classification)
 * @param score score range (STS)
 * @param filter field to allowed values; records with other values are rejected as filtered
 * @param params free-form settings for later stages, validated there
 */
public record SourceConfig(
        String name,
        String dataset,
        String file,
        TaskType taskType,
        String split,
        String instruction,
        boolean symmetric,
        List<InputSpec> inputs,
        LabelSpec labels,
        ScoreSpec score,
        Map<String, Set<String>> filter,
        Map<String, Object> params)
        implements Serializable {
    public SourceConfig {
        inputs = List.copyOf(inputs);
        filter = Ordered.map(filter);
        params = Ordered.map(params);
    }

    /** The input playing this role, or null. */
    public InputSpec input(String role) {
        for (InputSpec in : inputs) {
            if (in.role().equals(role)) {
                return in;
            }
        }
        return null;
    }
}
