package io.embedforge.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/**
 * The two composite layouts of retrieval data, written out as ordinary inputs: a BEIR folder is two
 * JSONL files and a TSV, TREC is three whitespace-separated files. Users can still override any
 * preset role's path, options or fields in their config.
 */
final class Presets {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private Presets() {}

    /**
     * Role nodes of a source: the preset roles with the user's per-role entries merged over them,
     * or the user's inputs unchanged for non-preset formats.
     */
    static ObjectNode expand(
            String file,
            InputFormat format,
            ObjectNode inputs,
            ObjectNode sourceOptions,
            String split) {
        return switch (format) {
            case BEIR -> beir(file, inputs, sourceOptions, split);
            case TREC -> trec(file, inputs, sourceOptions);
            default -> inputs.deepCopy();
        };
    }

    /** Options that belong to the preset and must not reach its inputs. */
    static ObjectNode inputOptions(InputFormat format, ObjectNode sourceOptions) {
        ObjectNode copy = sourceOptions.deepCopy();
        if (format == InputFormat.BEIR || format == InputFormat.TREC) {
            for (String key : format.options()) {
                copy.remove(key);
            }
            ConfigLoader.checkKeys(
                    "preset " + format.configName(),
                    "options.",
                    copy,
                    union(format.options(), InputFormat.COMMON_OPTIONS));
        }
        return copy;
    }

    private static ObjectNode beir(
            String file, ObjectNode inputs, ObjectNode sourceOptions, String split) {
        ConfigLoader.checkKeys(
                file,
                "inputs.",
                inputs,
                Set.of("root", InputSpec.CORPUS, InputSpec.QUERIES, InputSpec.QRELS));
        JsonNode rootNode = inputs.get("root");
        if (rootNode == null) {
            throw ConfigException.missing(
                    file,
                    "inputs.root",
                    "the BEIR folder holding corpus.jsonl, queries.jsonl and qrels/");
        }
        String root = trimSlash(ConfigLoader.scalar(file, "inputs.root", rootNode));
        String qrelsSplit = ConfigLoader.text(file, sourceOptions, "qrels_split", split);
        ObjectNode roles = F.objectNode();
        roles.set(
                InputSpec.CORPUS,
                role(
                        root + "/corpus.jsonl",
                        "jsonl",
                        F.objectNode(),
                        Map.of("doc_id", "_id", "title", "title", "text", "text")));
        roles.set(
                InputSpec.QUERIES,
                role(
                        root + "/queries.jsonl",
                        "jsonl",
                        F.objectNode(),
                        Map.of("query_id", "_id", "text", "text")));
        ObjectNode tsv =
                F.objectNode().put("delimiter", "\t").put("header", true).put("quote", "none");
        roles.set(
                InputSpec.QRELS,
                role(
                        root + "/qrels/" + qrelsSplit + ".tsv",
                        "csv",
                        tsv,
                        Map.of(
                                "query_id",
                                "query-id",
                                "doc_id",
                                "corpus-id",
                                "relevance",
                                "score")));
        return mergeUserRoles(file, roles, inputs);
    }

    private static ObjectNode trec(String file, ObjectNode inputs, ObjectNode sourceOptions) {
        ConfigLoader.checkKeys(
                file,
                "inputs.",
                inputs,
                Set.of(InputSpec.CORPUS, InputSpec.QUERIES, InputSpec.QRELS));
        if (!inputs.has(InputSpec.QUERIES) || !inputs.has(InputSpec.QRELS)) {
            throw ConfigException.missing(
                    file,
                    "inputs.queries and inputs.qrels",
                    "TREC topics (qid<TAB>text) and qrels (qid Q0 docid rel)");
        }
        ObjectNode roles = F.objectNode();
        ObjectNode tsv =
                F.objectNode().put("delimiter", "\t").put("header", false).put("quote", "none");
        roles.set(
                InputSpec.QUERIES, role(null, "csv", tsv, Map.of("query_id", "$0", "text", "$1")));
        ObjectNode ws =
                F.objectNode()
                        .put("delimiter", "whitespace")
                        .put("header", false)
                        .put("quote", "none");
        roles.set(
                InputSpec.QRELS,
                role(null, "csv", ws, Map.of("query_id", "$0", "doc_id", "$2", "relevance", "$3")));
        if (inputs.has(InputSpec.CORPUS)) {
            roles.set(
                    InputSpec.CORPUS,
                    role(null, "csv", tsv.deepCopy(), Map.of("doc_id", "$0", "text", "$1")));
        }
        return mergeUserRoles(file, roles, inputs);
    }

    private static ObjectNode mergeUserRoles(String file, ObjectNode roles, ObjectNode inputs) {
        inputs.fields()
                .forEachRemaining(
                        e -> {
                            if (!roles.has(e.getKey())) {
                                return;
                            }
                            JsonNode user = e.getValue();
                            ObjectNode userNode;
                            if (user.isTextual() || user.isArray()) {
                                userNode = F.objectNode();
                                userNode.set("path", user);
                            } else {
                                userNode =
                                        ConfigLoader.requireObject(
                                                file, "inputs." + e.getKey(), user);
                            }
                            roles.set(
                                    e.getKey(),
                                    ConfigLoader.deepMerge(
                                            (ObjectNode) roles.get(e.getKey()), userNode));
                        });
        return roles;
    }

    private static ObjectNode role(
            String path, String format, ObjectNode options, Map<String, String> fields) {
        ObjectNode node = F.objectNode();
        if (path != null) {
            node.put("path", path);
        }
        node.put("format", format);
        node.set("options", options);
        ObjectNode f = F.objectNode();
        fields.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> f.put(e.getKey(), e.getValue()));
        node.set("fields", f);
        return node;
    }

    private static String trimSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.TreeSet<String> out = new java.util.TreeSet<>(a);
        out.addAll(b);
        return out;
    }
}
