package io.embedforge.pipeline.blend;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.common.Ordered;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Settings of {@code blend} ({@code stages.blend} of the profile, snake_case). Validated when
 * built; errors name key, value and the allowed range. Driver only.
 *
 * @param seed seed of the shuffle and of the capped samples; null = the profile's seed
 * @param batchSize rows per {@code batch_index}
 * @param maxNegatives negatives kept per example (the first, best-ranked ones)
 * @param maxPerSource default cap of rows per source and stage (0 = no cap)
 * @param stage1TaskTypes task types of stage 1 (the recipe: retrieval only)
 * @param sources per-source {@code cap} and {@code weight}
 */
public record BlendParams(
        Long seed,
        int batchSize,
        int maxNegatives,
        long maxPerSource,
        List<String> stage1TaskTypes,
        Map<String, SourceMix> sources)
        implements Serializable {

    public static final int BATCH_SIZE_DEFAULT = TrainingContract.DEFAULT_BATCH_SIZE;
    public static final int MAX_NEGATIVES_DEFAULT = TrainingContract.MAX_NEGATIVES;
    public static final long MAX_PER_SOURCE_DEFAULT = 200_000L;
    public static final List<String> STAGE1_TASK_TYPES_DEFAULT = List.of("retrieval");
    private static final List<String> TASK_TYPES =
            List.of("retrieval", "classification", "clustering", "sts");

    public BlendParams {
        check(batchSize >= 1 && batchSize <= 1_000_000, "batch_size", batchSize, "[1, 1000000]");
        check(
                maxNegatives >= 0 && maxNegatives <= TrainingContract.MAX_NEGATIVES,
                "max_negatives",
                maxNegatives,
                "[0, " + TrainingContract.MAX_NEGATIVES + "]");
        check(maxPerSource >= 0, "max_per_source", maxPerSource, ">= 0 (0 = no cap)");
        check(
                !stage1TaskTypes.isEmpty() && TASK_TYPES.containsAll(stage1TaskTypes),
                "stage1_task_types",
                stage1TaskTypes,
                "a non-empty subset of " + TASK_TYPES);
        stage1TaskTypes = List.copyOf(stage1TaskTypes);
        sources = sources == null ? Map.of() : Ordered.map(sources);
    }

    /** Every setting at its default. */
    public static BlendParams defaults() {
        return fromConfig(null, null, null, null, null, null);
    }

    /** Binds a YAML/JSON object; absent keys take their defaults. */
    @JsonCreator
    public static BlendParams fromConfig(
            @JsonProperty("seed") Long seed,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("max_negatives") Integer maxNegatives,
            @JsonProperty("max_per_source") Long maxPerSource,
            @JsonProperty("stage1_task_types") List<String> stage1TaskTypes,
            @JsonProperty("sources") Map<String, SourceMix> sources) {
        return new BlendParams(
                seed,
                batchSize != null ? batchSize : BATCH_SIZE_DEFAULT,
                maxNegatives != null ? maxNegatives : MAX_NEGATIVES_DEFAULT,
                maxPerSource != null ? maxPerSource : MAX_PER_SOURCE_DEFAULT,
                stage1TaskTypes != null ? stage1TaskTypes : STAGE1_TASK_TYPES_DEFAULT,
                sources);
    }

    /** The seed to use: this one, else the profile's. */
    public long seedOr(long profileSeed) {
        return seed != null ? seed : profileSeed;
    }

    /**
     * The rows a source with {@code rows} examples contributes: {@code min(cap, weight x rows)}.
     */
    public long target(String source, long rows) {
        SourceMix m = sources.get(source);
        double weight = m != null && m.weight() != null ? m.weight() : 1.0;
        long cap = m != null && m.cap() != null ? m.cap() : maxPerSource;
        long t = Math.round(weight * rows);
        return cap > 0 ? Math.min(cap, t) : t;
    }

    /**
     * Mixing of one source.
     *
     * @param cap most rows per stage (overrides {@code max_per_source}; 0 = no cap)
     * @param weight fraction of the source's rows kept before the cap, in (0, 1]
     */
    public record SourceMix(@JsonProperty("cap") Long cap, @JsonProperty("weight") Double weight)
            implements Serializable {
        public SourceMix {
            check(cap == null || cap >= 0, "sources.*.cap", cap, ">= 0 (0 = no cap)");
            check(
                    weight == null || (weight > 0 && weight <= 1),
                    "sources.*.weight",
                    weight,
                    "(0, 1]");
        }
    }

    private static void check(boolean ok, String key, Object value, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("blend." + key + "=" + value + " must be " + rule);
        }
    }
}
