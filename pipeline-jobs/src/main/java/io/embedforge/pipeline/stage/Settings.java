package io.embedforge.pipeline.stage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.settings.InvalidSettingException;
import java.lang.reflect.RecordComponent;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The one binder of stage settings: {@code stages.<name>} of the profile onto the stage's settings
 * record, with Jackson (snake_case keys from {@code @JsonProperty} constants, unknown keys fail).
 * Every settings record follows one pattern: boxed components, each key a constant with its {@code
 * X_DEFAULT} beside it, and a compact constructor that fills a missing (or {@code null}) value with
 * its default and checks it with {@link io.embedforge.settings.Check}. So a record built in code,
 * in a test or from YAML resolves and fails the same way; this class turns every failure into a
 * {@link ConfigException} naming the profile and the full key ({@code
 * stages.mine-dense.encoder.max_length}), the value and what is allowed.
 *
 * <p>The seed rule: a record with a {@code seed} key takes the profile's {@code seed} (itself
 * overridden by {@code --seed}, default {@link PipelineConfig#SEED_DEFAULT}) unless {@code
 * stages.<name>.seed} is set; a record built without a profile takes {@link
 * PipelineConfig#SEED_DEFAULT}. Driver only.
 */
public final class Settings {
    /** Key of the seed in a settings record. */
    public static final String SEED = "seed";

    /** Keys renamed since 0.1: old name to new (an old key fails, naming the new one). */
    static final Map<String, String> RENAMED = Map.of("max_negatives", "negatives");

    /**
     * Unknown keys fail; so does a fraction for an integer ({@code negatives: 7.9} would otherwise
     * become 7), and a number beyond the field's type ({@code 3000000000} for an int) fails in
     * Jackson rather than wrapping.
     */
    private static final ObjectMapper JSON =
            new ObjectMapper()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private Settings() {}

    /**
     * Fails unless {@code stages:} of the profile is a map whose keys are stage names of the
     * registry: a typo ({@code mine_dense:}) would otherwise run that stage with its defaults.
     */
    public static void checkStageNames(PipelineConfig config) {
        JsonNode stages = config.stages();
        if (stages == null || stages.isMissingNode() || stages.isNull()) {
            return;
        }
        if (!stages.isObject()) {
            throw ConfigException.badValue(
                    config.file(), "stages", stages, "a map of stage name to settings");
        }
        stages.fieldNames()
                .forEachRemaining(
                        name -> {
                            if (!StageId.names().contains(name)) {
                                String like =
                                        name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
                                throw new ConfigException(
                                        config.file()
                                                + ": unknown stage 'stages."
                                                + name
                                                + "'"
                                                + (StageId.names().contains(like)
                                                        ? " (did you mean '" + like + "'?)"
                                                        : "")
                                                + "; stages: "
                                                + StageId.names());
                            }
                        });
    }

    /** {@code stages.<stage>} of the profile as a {@code type}, seeded by the profile. */
    public static <P> P bind(PipelineConfig config, StageId stage, Class<P> type) {
        return bind(
                config.file(), stage.settingsKey(), config.stage(stage.id()), type, config.seed());
    }

    /**
     * Binds {@code node} to {@code type}.
     *
     * @param file the document, for messages
     * @param path where {@code node} is in it (e.g. {@code stages.blend}), for messages
     * @param node a mapping, or null / missing for every default
     * @param type the settings record
     * @param seed the seed when {@code node} sets none and {@code type} has one; null: its default
     */
    public static <P> P bind(String file, String path, JsonNode node, Class<P> type, Long seed) {
        ObjectNode obj;
        if (node == null || node.isMissingNode() || node.isNull()) {
            obj = JSON.createObjectNode();
        } else if (node.isObject()) {
            obj = ((ObjectNode) node).deepCopy();
        } else {
            throw ConfigException.badValue(file, path, node, "a map of settings");
        }
        if (seed != null && hasSeed(type) && !obj.hasNonNull(SEED)) {
            obj.put(SEED, seed);
        }
        try {
            return JSON.treeToValue(obj, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw problem(file, path, e);
        }
    }

    /** Every setting of {@code type} at its default. */
    public static <P> P defaults(Class<P> type) {
        return bind("(defaults)", "", null, type, null);
    }

    /**
     * {@code base} with some keys replaced, through the same binding as a profile (tests and code
     * that vary a few settings): {@code Settings.with(DenseParams.defaults(), "negatives", 3)}. An
     * illegal value throws the record's {@link InvalidSettingException}.
     */
    @SuppressWarnings("unchecked")
    public static <P> P with(P base, Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values come in pairs");
        }
        ObjectNode node = JSON.valueToTree(base);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            node.set((String) keysAndValues[i], JSON.valueToTree(keysAndValues[i + 1]));
        }
        try {
            return JSON.treeToValue(node, (Class<P>) base.getClass());
        } catch (JsonProcessingException | IllegalArgumentException e) {
            InvalidSettingException cause = invalid(e);
            throw cause != null ? cause : new IllegalArgumentException(problem("", "", e));
        }
    }

    private static boolean hasSeed(Class<?> type) {
        if (type.isRecord()) {
            for (RecordComponent c : type.getRecordComponents()) {
                if (c.getName().equals(SEED)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The JSON mapper of settings (the same one binds and serialises). */
    public static ObjectMapper mapper() {
        return JSON;
    }

    private static ConfigException problem(String file, String path, Exception e) {
        String where = jsonPath(path, e);
        InvalidSettingException invalid = invalid(e);
        if (invalid != null) {
            return new ConfigException(file + ": " + invalid.under(where).getMessage(), e);
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String key = where;
            String renamed = RENAMED.get(u.getPropertyName());
            if (renamed != null) {
                return new ConfigException(
                        file + ": key '" + key + "' was renamed to '" + renamed + "'", e);
            }
            return new ConfigException(
                    file
                            + ": unknown key '"
                            + key
                            + "'; allowed here: "
                            + new TreeSet<>(
                                    u.getKnownPropertyIds().stream().map(String::valueOf).toList()),
                    e);
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return ConfigException.badValue(file, where, valueOf(m), typeName(m.getTargetType()));
        }
        String why = e instanceof JsonMappingException j ? j.getOriginalMessage() : e.getMessage();
        return new ConfigException(file + ": " + where + ": " + why, e);
    }

    /** {@code path} extended by the Jackson path of a binding error: {@code path.a.b[2]}. */
    private static String jsonPath(String path, Exception e) {
        StringBuilder sb = new StringBuilder(path);
        if (e instanceof JsonMappingException j) {
            for (JsonMappingException.Reference r : j.getPath()) {
                if (r.getFieldName() != null) {
                    sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    sb.append('[').append(r.getIndex()).append(']');
                }
            }
        }
        return sb.toString();
    }

    private static InvalidSettingException invalid(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof InvalidSettingException i) {
                return i;
            }
        }
        return null;
    }

    private static Object valueOf(MismatchedInputException m) {
        if (m instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException f) {
            return f.getValue();
        }
        String msg = m.getOriginalMessage();
        return msg == null ? "?" : msg;
    }

    private static String typeName(Class<?> type) {
        if (type == int.class
                || type == Integer.class
                || type == long.class
                || type == Long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a text";
        }
        if (java.util.List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type.isEnum()) {
            return "one of "
                    + java.util.Arrays.toString(type.getEnumConstants())
                            .toLowerCase(java.util.Locale.ROOT);
        }
        return "a " + type.getSimpleName();
    }
}
