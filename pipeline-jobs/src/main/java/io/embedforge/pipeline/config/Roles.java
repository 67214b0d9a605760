package io.embedforge.pipeline.config;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which inputs each task type takes and which canonical fields each input must map. Checked when
 * the config is loaded so that a missing mapping is a config error, not a million rejects.
 */
public final class Roles {
    /** Role to (required fields, optional fields), per task type. */
    private static final Map<TaskType, Map<String, List<Set<String>>>> FIELDS =
            Map.of(
                    TaskType.RETRIEVAL,
                    Map.of(
                            InputSpec.RECORDS,
                            List.of(
                                    Set.of("query", "positive"),
                                    Set.of(
                                            "query_id",
                                            "positive_id",
                                            "positive_title",
                                            "negatives")),
                            InputSpec.QUERIES,
                            List.of(Set.of("query_id", "text"), Set.of()),
                            InputSpec.QRELS,
                            List.of(Set.of("query_id", "doc_id"), Set.of("relevance")),
                            InputSpec.CORPUS,
                            List.of(Set.of("doc_id", "text"), Set.of("title"))),
                    TaskType.CLASSIFICATION,
                    Map.of(
                            InputSpec.RECORDS,
                            List.of(Set.of("text", "label"), Set.of("label_text"))),
                    TaskType.CLUSTERING,
                    Map.of(
                            InputSpec.RECORDS,
                            List.of(Set.of("title", "categories"), Set.of("abstract", "category"))),
                    TaskType.STS,
                    Map.of(
                            InputSpec.RECORDS,
                            List.of(Set.of("text_a", "text_b", "score"), Set.of())));

    /** Fields that may hold several values (a JSON or Parquet array); all others take one. */
    public static final Set<String> MULTI_VALUED = Set.of("positive", "negatives", "categories");

    private Roles() {}

    static void check(
            String file, TaskType taskType, List<InputSpec> inputs, Set<String> filterFields) {
        Map<String, List<Set<String>>> roles = FIELDS.get(taskType);
        for (InputSpec in : inputs) {
            if (!roles.containsKey(in.role())) {
                throw ConfigException.badValue(
                        file,
                        "inputs." + in.role(),
                        in.role(),
                        "roles of a "
                                + taskType.configName()
                                + " source: "
                                + new TreeSet<>(roles.keySet()));
            }
        }
        if (taskType == TaskType.RETRIEVAL) {
            boolean pairs = has(inputs, InputSpec.RECORDS);
            boolean queries = has(inputs, InputSpec.QUERIES);
            if (pairs == queries) {
                throw new ConfigException(
                        file
                                + ": a retrieval source needs either 'inputs.records' (query/positive pairs) or"
                                + " 'inputs.queries' (+ qrels, corpus), not "
                                + (pairs ? "both" : "neither"));
            }
            if ((has(inputs, InputSpec.QRELS) || has(inputs, InputSpec.CORPUS)) && !queries) {
                throw new ConfigException(
                        file + ": 'inputs.qrels' and 'inputs.corpus' need 'inputs.queries'");
            }
            if (has(inputs, InputSpec.CORPUS) && !has(inputs, InputSpec.QRELS)) {
                // Queries alone are allowed (evaluation queries kept for decontamination); a corpus
                // without judgments pairs nothing.
                throw new ConfigException(
                        file + ": 'inputs.corpus' needs 'inputs.qrels' to make pairs");
            }
        } else if (!has(inputs, InputSpec.RECORDS)) {
            throw ConfigException.missing(file, "inputs.records", "the dataset's records");
        }
        for (InputSpec in : inputs) {
            List<Set<String>> spec = roles.get(in.role());
            for (String required : spec.get(0)) {
                if (!in.fields().containsKey(required)) {
                    throw ConfigException.missing(
                            file,
                            "inputs." + in.role() + ".fields." + required,
                            "the selector of canonical field '" + required + "'");
                }
            }
            for (String mapped : in.fields().keySet()) {
                if (!spec.get(0).contains(mapped)
                        && !spec.get(1).contains(mapped)
                        && !filterFields.contains(mapped)) {
                    TreeSet<String> allowed = new TreeSet<>(spec.get(0));
                    allowed.addAll(spec.get(1));
                    throw new ConfigException(
                            file
                                    + ": unknown field 'fields."
                                    + mapped
                                    + "' for role '"
                                    + in.role()
                                    + "'; allowed: "
                                    + allowed
                                    + " and fields used by 'filter'");
                }
            }
        }
        for (String f : filterFields) {
            if (inputs.stream().noneMatch(in -> in.fields().containsKey(f))) {
                throw ConfigException.badValue(
                        file,
                        "filter." + f,
                        f,
                        "a field mapped under 'fields' (add fields." + f + ")");
            }
        }
    }

    private static boolean has(List<InputSpec> inputs, String role) {
        return inputs.stream().anyMatch(in -> in.role().equals(role));
    }
}
