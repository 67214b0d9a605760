package io.embedforge.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.embedforge.pipeline.common.Ordered;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Reads a profile and its source files into a {@link PipelineConfig}, checking every key and value
 * on the way. Runs on the driver only, before Spark starts, so a typo costs a second, not a cluster
 * allocation.
 *
 * <p>Resolution order: command-line overrides ({@link Overrides}) > profile entry > source file >
 * built-in defaults. Profile entries are deep-merged over source files (maps key by key; lists and
 * scalars replaced).
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+)}");
    private static final Pattern URI_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");

    private static final Set<String> PROFILE_KEYS =
            Set.of("profile", "seed", "variables", "sources_dir", "ingest", "sources", "stages");
    private static final Set<String> INGEST_KEYS = Set.of("split_size_mb");

    /**
     * Largest {@code ingest.split_size_mb}: 1 TiB per task is already one task per file; beyond it
     * the byte count ({@code mb << 20}) would overflow a long.
     */
    static final long SPLIT_SIZE_MB_MAX = 1L << 20;

    private static final Set<String> SOURCE_KEYS =
            Set.of(
                    "name",
                    "task_type",
                    "split",
                    "instruction",
                    "symmetric",
                    "format",
                    "options",
                    "fields",
                    "inputs",
                    "labels",
                    "score",
                    "filter",
                    "params");
    private static final Set<String> INPUT_KEYS = Set.of("path", "format", "options", "fields");
    private static final Set<String> LABEL_KEYS = Set.of("map", "values_file", "text");
    private static final Set<String> SCORE_KEYS = Set.of("min", "max", "invert");

    /** Values given on the command line; they win over the files. */
    public record Overrides(Long seed, Map<String, String> variables) {
        public Overrides {
            variables = Ordered.map(variables);
        }

        public static Overrides none() {
            return new Overrides(null, Map.of());
        }
    }

    private ConfigLoader() {}

    /** Loads and validates a profile. */
    public static PipelineConfig load(Path profileFile, Overrides overrides) {
        Path profilePath = profileFile.toAbsolutePath().normalize();
        String where = profilePath.toString();
        ObjectNode profile = readYaml(profilePath);
        checkKeys(where, "", profile, PROFILE_KEYS);
        Path baseDir = profilePath.getParent();

        String profileName = text(where, profile, "profile", baseName(profilePath));
        long seed =
                overrides.seed() != null
                        ? overrides.seed()
                        : longValue(where, profile, "seed", PipelineConfig.SEED_DEFAULT);

        Map<String, String> variables = new LinkedHashMap<>();
        JsonNode vars = profile.get("variables");
        if (vars != null && !vars.isNull()) {
            requireObject(where, "variables", vars);
            vars.fields()
                    .forEachRemaining(
                            e ->
                                    variables.put(
                                            e.getKey(),
                                            resolvePath(
                                                    scalar(
                                                            where,
                                                            "variables." + e.getKey(),
                                                            e.getValue()),
                                                    baseDir)));
        }
        overrides.variables().forEach((k, v) -> variables.put(k, resolvePath(v, baseDir)));

        long splitSizeBytes = 128L << 20;
        JsonNode ingest = profile.get("ingest");
        if (ingest != null && !ingest.isNull()) {
            requireObject(where, "ingest", ingest);
            checkKeys(where, "ingest.", (ObjectNode) ingest, INGEST_KEYS);
            long mb = longValue(where, ingest, "ingest.split_size_mb", "split_size_mb", 128);
            if (mb < 1 || mb > SPLIT_SIZE_MB_MAX) {
                throw ConfigException.badValue(
                        where,
                        "ingest.split_size_mb",
                        mb,
                        "an integer in [1, " + SPLIT_SIZE_MB_MAX + "]");
            }
            splitSizeBytes = mb << 20;
        }

        Path sourcesDir = baseDir.resolve(text(where, profile, "sources_dir", "sources"));
        JsonNode sourcesNode = profile.get("sources");
        if (sourcesNode == null || !sourcesNode.isObject() || sourcesNode.isEmpty()) {
            throw ConfigException.missing(
                    where, "sources", "a map of source instance name to overrides");
        }
        List<SourceConfig> sources = new ArrayList<>();
        ObjectNode resolvedSources = JsonNodeFactory.instance.objectNode();
        Iterator<Map.Entry<String, JsonNode>> it = sourcesNode.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            ObjectNode merged =
                    mergedSource(where, sourcesDir, e.getKey(), e.getValue(), variables, baseDir);
            sources.add(SourceBuilder.build(e.getKey(), merged, baseDir));
            resolvedSources.set(e.getKey(), merged);
        }

        JsonNode stages = profile.get("stages");
        if (stages == null || stages.isNull()) {
            stages = JsonNodeFactory.instance.objectNode();
        }
        ObjectNode resolved = JsonNodeFactory.instance.objectNode();
        resolved.put("profile", profileName);
        resolved.put("file", where);
        resolved.put("seed", seed);
        resolved.set("variables", JSON.valueToTree(variables));
        resolved.put("split_size_bytes", splitSizeBytes);
        resolved.set("sources", resolvedSources);
        resolved.set("stages", stages);
        return new PipelineConfig(
                profileName, where, seed, variables, splitSizeBytes, sources, stages, resolved);
    }

    private static ObjectNode mergedSource(
            String profileFile,
            Path sourcesDir,
            String instance,
            JsonNode override,
            Map<String, String> variables,
            Path baseDir) {
        ObjectNode overrideNode =
                override == null || override.isNull()
                        ? JsonNodeFactory.instance.objectNode()
                        : requireObject(profileFile, "sources." + instance, override);
        String dataset = instance;
        JsonNode sourceKey = overrideNode.get("source");
        if (sourceKey != null) {
            dataset = scalar(profileFile, "sources." + instance + ".source", sourceKey);
        }
        Path file = sourcesDir.resolve(dataset + ".yaml");
        if (!Files.isRegularFile(file)) {
            throw ConfigException.badValue(
                    profileFile,
                    "sources." + instance + (sourceKey != null ? ".source" : ""),
                    dataset,
                    "a dataset with a file in " + sourcesDir + " (no " + file.getFileName() + ")");
        }
        ObjectNode base = readYaml(file);
        String sourceFile = file.toString();
        checkKeys(sourceFile, "", base, SOURCE_KEYS);
        String declared = text(sourceFile, base, "name", null);
        if (!dataset.equals(declared)) {
            throw ConfigException.badValue(
                    sourceFile, "name", declared, "'" + dataset + "' (the file's name)");
        }
        ObjectNode overrideCopy = overrideNode.deepCopy();
        overrideCopy.remove("source");
        checkKeys(profileFile, "sources." + instance + ".", overrideCopy, SOURCE_KEYS);
        ObjectNode merged = deepMerge(base, overrideCopy);
        merged.put("name", dataset);
        merged.put("__file", sourceFile);
        merged.put("__profile", profileFile);
        return (ObjectNode)
                substitute(sourceFile + " (instance " + instance + ")", merged, variables);
    }

    /** Builds a {@link SourceConfig} from a merged, substituted source node. */
    private static final class SourceBuilder {
        private SourceBuilder() {}

        static SourceConfig build(String instance, ObjectNode node, Path baseDir) {
            String file = node.get("__file").asText();
            node.remove("__file");
            node.remove("__profile");
            String dataset = node.get("name").asText();
            TaskType taskType =
                    TaskType.parse(
                            file,
                            "task_type",
                            required(file, node, "task_type", TaskType.allowedNames()));
            String split = text(file, node, "split", "train");
            String instruction =
                    required(file, node, "instruction", "the task definition put before queries");
            boolean symmetric = bool(file, node, "symmetric", false);
            String defaultFormat = text(file, node, "format", null);
            ObjectNode sourceOptions = optionalObject(file, node, "options");
            ObjectNode sourceFields = optionalObject(file, node, "fields");
            ObjectNode inputsNode = optionalObject(file, node, "inputs");
            if (inputsNode.isEmpty()) {
                throw ConfigException.missing(
                        file, "inputs", "role -> path of the dataset's files");
            }
            if (defaultFormat == null) {
                throw ConfigException.missing(file, "format", "one of " + allowedFormats());
            }
            InputFormat sourceFormat = InputFormat.parse(file, "format", defaultFormat);
            ObjectNode roleNodes =
                    Presets.expand(file, sourceFormat, inputsNode, sourceOptions, split);
            ObjectNode inputOptions = Presets.inputOptions(sourceFormat, sourceOptions);
            List<InputSpec> inputs = new ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> roles = roleNodes.fields();
            while (roles.hasNext()) {
                Map.Entry<String, JsonNode> e = roles.next();
                inputs.add(
                        input(
                                file,
                                e.getKey(),
                                e.getValue(),
                                sourceFormat,
                                inputOptions,
                                sourceFields,
                                baseDir));
            }
            Map<String, Set<String>> filter = filter(file, node);
            Roles.check(file, taskType, inputs, filter.keySet());
            LabelSpec labels =
                    taskType == TaskType.CLASSIFICATION
                            ? labels(file, optionalObject(file, node, "labels"))
                            : LabelSpec.none();
            ScoreSpec score =
                    taskType == TaskType.STS
                            ? score(file, optionalObject(file, node, "score"))
                            : ScoreSpec.zeroToFive();
            Map<String, Object> params = new LinkedHashMap<>();
            JsonNode paramsNode = node.get("params");
            if (paramsNode != null && !paramsNode.isNull()) {
                requireObject(file, "params", paramsNode);
                params.putAll(JSON.convertValue(paramsNode, Map.class));
            }
            params.values().removeIf(v -> v == null);
            return new SourceConfig(
                    instance,
                    dataset,
                    file,
                    taskType,
                    split,
                    instruction,
                    symmetric,
                    inputs,
                    labels,
                    score,
                    filter,
                    params);
        }

        private static InputSpec input(
                String file,
                String role,
                JsonNode value,
                InputFormat sourceFormat,
                ObjectNode sourceOptions,
                ObjectNode sourceFields,
                Path baseDir) {
            String key = "inputs." + role;
            ObjectNode spec;
            if (value.isTextual() || value.isArray()) {
                spec = JsonNodeFactory.instance.objectNode();
                spec.set("path", value);
            } else if (value.isObject()) {
                spec = (ObjectNode) value;
            } else {
                throw ConfigException.badValue(
                        file, key, value, "a path, a list of paths, or a map with 'path'");
            }
            InputFormat format =
                    spec.has("format")
                            ? InputFormat.parse(file, key + ".format", spec.get("format").asText())
                            : sourceFormat;
            if (format == InputFormat.BEIR || format == InputFormat.TREC) {
                throw ConfigException.badValue(
                        file,
                        key + ".format",
                        format.configName(),
                        "a format of one input (beir and trec are source formats)");
            }
            Map<String, String> parallelFiles =
                    format == InputFormat.PARALLEL
                            ? parallelFiles(file, key, spec, baseDir)
                            : new LinkedHashMap<>();
            List<String> paths =
                    format == InputFormat.PARALLEL
                            ? new ArrayList<>()
                            : paths(file, key, spec, baseDir);
            ObjectNode options = deepMerge(sourceOptions, optionalObject(file, spec, "options"));
            Set<String> allowedOptions = new TreeSet<>(format.options());
            allowedOptions.addAll(InputFormat.COMMON_OPTIONS);
            checkKeys(file, key + ".options.", options, allowedOptions);
            ObjectNode fields = deepMerge(sourceFields, optionalObject(file, spec, "fields"));
            Map<String, String> fieldMap = new LinkedHashMap<>();
            fields.fields()
                    .forEachRemaining(
                            e ->
                                    fieldMap.put(
                                            e.getKey(),
                                            scalar(
                                                    file,
                                                    key + ".fields." + e.getKey(),
                                                    e.getValue())));
            Options opts = new Options(JSON.convertValue(options, Map.class));
            FormatChecks.check(file, key, format, opts, fieldMap, parallelFiles);
            return new InputSpec(role, format, paths, parallelFiles, opts, fieldMap);
        }

        /** The field-name: path entries of a {@code parallel} input (at least two). */
        private static Map<String, String> parallelFiles(
                String file, String key, ObjectNode spec, Path baseDir) {
            Map<String, String> parallelFiles = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> f = spec.fields();
            while (f.hasNext()) {
                Map.Entry<String, JsonNode> e = f.next();
                if (!Set.of("format", "options", "fields").contains(e.getKey())) {
                    parallelFiles.put(
                            e.getKey(),
                            resolvePath(
                                    scalar(file, key + "." + e.getKey(), e.getValue()), baseDir));
                }
            }
            if (parallelFiles.size() < 2) {
                throw ConfigException.badValue(
                        file,
                        key,
                        spec,
                        "a map of at least two field-name: path entries (parallel files)");
            }
            return parallelFiles;
        }

        /** The path or paths of an input, resolved against the profile's folder. */
        private static List<String> paths(String file, String key, ObjectNode spec, Path baseDir) {
            List<String> paths = new ArrayList<>();
            checkKeys(file, key + ".", spec, INPUT_KEYS);
            JsonNode p = spec.get("path");
            if (p == null || p.isNull()) {
                throw ConfigException.missing(file, key + ".path", "file path or glob");
            }
            if (p.isArray()) {
                for (JsonNode e : p) {
                    paths.add(resolvePath(scalar(file, key + ".path", e), baseDir));
                }
            } else {
                paths.add(resolvePath(scalar(file, key + ".path", p), baseDir));
            }
            if (paths.isEmpty()) {
                throw ConfigException.badValue(file, key + ".path", p, "at least one path");
            }
            return paths;
        }

        private static Map<String, Set<String>> filter(String file, ObjectNode node) {
            Map<String, Set<String>> filter = new LinkedHashMap<>();
            JsonNode f = node.get("filter");
            if (f == null || f.isNull()) {
                return filter;
            }
            requireObject(file, "filter", f);
            f.fields()
                    .forEachRemaining(
                            e -> {
                                Set<String> values = new LinkedHashSet<>();
                                if (e.getValue().isArray()) {
                                    e.getValue()
                                            .forEach(
                                                    v ->
                                                            values.add(
                                                                    scalar(
                                                                            file,
                                                                            "filter." + e.getKey(),
                                                                            v)));
                                } else {
                                    values.add(scalar(file, "filter." + e.getKey(), e.getValue()));
                                }
                                filter.put(e.getKey(), values);
                            });
            return filter;
        }

        private static LabelSpec labels(String file, ObjectNode node) {
            checkKeys(file, "labels.", node, LABEL_KEYS);
            Map<String, String> map = new LinkedHashMap<>();
            JsonNode m = node.get("map");
            if (m != null && !m.isNull()) {
                requireObject(file, "labels.map", m);
                m.fields()
                        .forEachRemaining(
                                e ->
                                        map.put(
                                                e.getKey(),
                                                scalar(
                                                        file,
                                                        "labels.map." + e.getKey(),
                                                        e.getValue())));
            }
            Set<String> allowed = new LinkedHashSet<>();
            JsonNode vf = node.get("values_file");
            if (vf != null && !vf.isNull()) {
                allowed.addAll(readLabelValues(file, scalar(file, "labels.values_file", vf)));
            }
            String text = text(file, node, "text", "identity");
            if (!text.equals("identity") && !text.equals("humanize")) {
                throw ConfigException.badValue(file, "labels.text", text, "identity, humanize");
            }
            return new LabelSpec(map, allowed, text.equals("humanize"));
        }

        private static ScoreSpec score(String file, ObjectNode node) {
            checkKeys(file, "score.", node, SCORE_KEYS);
            double min = doubleValue(file, node, "score.min", "min", 0);
            double max = doubleValue(file, node, "score.max", "max", 5);
            if (!(max > min)) {
                throw ConfigException.badValue(
                        file, "score.max", max, "a number > score.min=" + min);
            }
            return new ScoreSpec(min, max, bool(file, node, "invert", false));
        }
    }

    private static List<String> readLabelValues(String file, String uri) {
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
            FileSystem fs = path.getFileSystem(new Configuration());
            try (InputStream in = fs.open(path)) {
                JsonNode list = JSON.readTree(in);
                if (!list.isArray()) {
                    throw ConfigException.badValue(
                            file,
                            "labels.values_file",
                            uri,
                            "a JSON file holding a list of label strings");
                }
                List<String> values = new ArrayList<>();
                list.forEach(v -> values.add(v.asText()));
                return values;
            }
        } catch (IOException e) {
            throw new ConfigException(
                    file
                            + ": key 'labels.values_file' = '"
                            + uri
                            + "' cannot be read: "
                            + e.getMessage(),
                    e);
        }
    }

    static ObjectNode readYaml(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": no such configuration file");
        }
        try {
            JsonNode node = YAML.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new ConfigException(file + ": expected a YAML mapping at the top level");
            }
            return (ObjectNode) node;
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getMessage(), e);
        }
    }

    /**
     * A copy of base with override merged in: objects key by key, everything else replaced, and an
     * explicit null removing the key (so a profile can drop, say, a corpus its dataset file has).
     */
    static ObjectNode deepMerge(ObjectNode base, ObjectNode override) {
        ObjectNode out = base.deepCopy();
        override.fields()
                .forEachRemaining(
                        e -> {
                            JsonNode existing = out.get(e.getKey());
                            if (e.getValue().isNull()) {
                                out.remove(e.getKey());
                            } else if (existing != null
                                    && existing.isObject()
                                    && e.getValue().isObject()) {
                                out.set(
                                        e.getKey(),
                                        deepMerge(
                                                (ObjectNode) existing, (ObjectNode) e.getValue()));
                            } else {
                                out.set(e.getKey(), e.getValue().deepCopy());
                            }
                        });
        return out;
    }

    private static JsonNode substitute(String where, JsonNode node, Map<String, String> variables) {
        if (node.isTextual()) {
            return new TextNode(substitute(where, node.asText(), variables));
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            node.fields()
                    .forEachRemaining(
                            e -> out.set(e.getKey(), substitute(where, e.getValue(), variables)));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(e -> out.add(substitute(where, e, variables)));
            return out;
        }
        return node;
    }

    private static String substitute(String where, String text, Map<String, String> variables) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = variables.get(m.group(1));
            if (value == null) {
                throw new ConfigException(
                        where
                                + ": variable '${"
                                + m.group(1)
                                + "}' in '"
                                + text
                                + "' is not defined; defined: "
                                + new TreeSet<>(variables.keySet())
                                + " (set it under 'variables:' or with --var "
                                + m.group(1)
                                + "=...)");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * A path as Hadoop should see it: URIs with a scheme are kept; absolute paths are kept (the
     * cluster's default file system decides); relative paths are local, relative to the profile.
     */
    static String resolvePath(String path, Path baseDir) {
        if (URI_SCHEME.matcher(path).matches() || path.startsWith("/")) {
            return path;
        }
        return "file:" + baseDir.resolve(path).normalize();
    }

    static void checkKeys(String file, String prefix, ObjectNode node, Set<String> allowed) {
        node.fieldNames()
                .forEachRemaining(
                        k -> {
                            if (!allowed.contains(k)) {
                                throw new ConfigException(
                                        file
                                                + ": unknown key '"
                                                + prefix
                                                + k
                                                + "'; allowed here: "
                                                + new TreeSet<>(allowed));
                            }
                        });
    }

    static ObjectNode requireObject(String file, String key, JsonNode node) {
        if (!node.isObject()) {
            throw ConfigException.badValue(file, key, node, "a mapping");
        }
        return (ObjectNode) node;
    }

    static ObjectNode optionalObject(String file, JsonNode parent, String key) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        return requireObject(file, key, node);
    }

    static String scalar(String file, String key, JsonNode node) {
        if (node == null || node.isNull() || node.isContainerNode()) {
            throw ConfigException.badValue(
                    file, key, node, "a single text, number or boolean value");
        }
        return node.asText();
    }

    static String text(String file, JsonNode parent, String key, String defaultValue) {
        JsonNode node = parent.get(key);
        return node == null || node.isNull() ? defaultValue : scalar(file, key, node);
    }

    static String required(String file, JsonNode parent, String key, String meaning) {
        String value = text(file, parent, key, null);
        if (value == null || value.isBlank()) {
            throw ConfigException.missing(file, key, meaning);
        }
        return value;
    }

    static boolean bool(String file, JsonNode parent, String key, boolean defaultValue) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return defaultValue;
        }
        if (!node.isBoolean()) {
            throw ConfigException.badValue(file, key, node, "true or false");
        }
        return node.booleanValue();
    }

    static long longValue(String file, JsonNode parent, String key, long defaultValue) {
        return longValue(file, parent, key, key, defaultValue);
    }

    static long longValue(
            String file, JsonNode parent, String fullKey, String key, long defaultValue) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return defaultValue;
        }
        if (!node.canConvertToLong() || !node.isIntegralNumber()) {
            throw ConfigException.badValue(file, fullKey, node, "an integer");
        }
        return node.longValue();
    }

    static double doubleValue(
            String file, JsonNode parent, String fullKey, String key, double defaultValue) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return defaultValue;
        }
        if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
            throw ConfigException.badValue(file, fullKey, node, "a finite number");
        }
        return node.doubleValue();
    }

    private static String allowedFormats() {
        StringBuilder sb = new StringBuilder();
        for (InputFormat f : InputFormat.values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(f.configName());
        }
        return sb.toString();
    }

    private static String baseName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
