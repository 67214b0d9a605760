package io.embedforge.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.embedforge.pipeline.common.Ordered;
import java.util.List;
import java.util.Map;

/**
 * A resolved profile: what to ingest and how every stage is set. Built once on the driver by {@link
 * ConfigLoader}; stages take what they need from it.
 *
 * @param profile profile name
 * @param file the profile file
 * @param seed seed of every random choice
 * @param variables resolved path variables
 * @param splitSizeBytes byte range per task for splittable line files
 * @param sources source instances in profile order
 * @param stages raw settings of later stages ({@code stages:} of the profile), parsed by each stage
 * @param resolved the whole resolved configuration as a tree, for the manifest
 */
public record PipelineConfig(
        String profile,
        String file,
        long seed,
        Map<String, String> variables,
        long splitSizeBytes,
        List<SourceConfig> sources,
        JsonNode stages,
        JsonNode resolved) {
    /**
     * The seed of a profile without {@code seed:}. The one seed rule: every random choice takes the
     * profile's seed ({@code --seed} overrides it), unless a stage sets {@code stages.<name>.seed};
     * stage settings have no seed default of their own.
     */
    public static final long SEED_DEFAULT = 42L;

    public PipelineConfig {
        variables = Ordered.map(variables);
        sources = List.copyOf(sources);
    }

    /** The same configuration with another byte range per task (tests use tiny ranges). */
    public PipelineConfig withSplitSizeBytes(long bytes) {
        return new PipelineConfig(profile, file, seed, variables, bytes, sources, stages, resolved);
    }

    /** The same configuration restricted to some source instances. */
    public PipelineConfig withSources(java.util.Collection<String> names) {
        return new PipelineConfig(
                profile,
                file,
                seed,
                variables,
                splitSizeBytes,
                sources.stream().filter(s -> names.contains(s.name())).toList(),
                stages,
                resolved);
    }

    /** The source instance of this name, or null. */
    public SourceConfig source(String name) {
        for (SourceConfig s : sources) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** Settings of one later stage, or an empty object node. */
    public JsonNode stage(String name) {
        JsonNode node = stages == null ? null : stages.get(name);
        return node == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : node;
    }
}
