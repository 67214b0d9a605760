package io.embedforge.pipeline.run;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;

/**
 * Binds {@code stages.<stage>} of the profile to a stage's params record (Jackson, snake_case keys;
 * an absent node takes every default). A stage whose params have a {@code seed} key and whose node
 * sets none gets the profile's seed (so {@code --seed} reaches every random choice). A bad key or
 * value is a {@link ConfigException} naming the profile, the key and the reason. Driver only.
 */
public final class StageParams {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private StageParams() {}

    /** The params of {@code stage}; {@code seeded}: inject the profile's seed when unset. */
    public static <T> T parse(PipelineConfig config, String stage, Class<T> type, boolean seeded) {
        JsonNode node = config.stage(stage);
        ObjectNode obj;
        if (node == null || node.isMissingNode() || node.isNull()) {
            obj = JSON.createObjectNode();
        } else if (node.isObject()) {
            obj = ((ObjectNode) node).deepCopy();
        } else {
            throw ConfigException.badValue(
                    config.file(), "stages." + stage, node.toString(), "a map of settings");
        }
        if (seeded && !obj.has("seed")) {
            obj.put("seed", config.seed());
        }
        try {
            return JSON.treeToValue(obj, type);
        } catch (Exception e) {
            Throwable c = e;
            while (c.getCause() != null && !(c instanceof IllegalArgumentException)) {
                c = c.getCause();
            }
            String why = c instanceof IllegalArgumentException ? c.getMessage() : e.getMessage();
            throw new ConfigException(config.file() + ": stages." + stage + ": " + why, e);
        }
    }
}
