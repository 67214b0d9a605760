package io.embedforge.pipeline.blend;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.common.Ordered;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Settings of {@code blend} ({@code stages.blend}), bound by {@link Settings}: a missing key takes
 * the default beside it; every value is checked when built. Driver only.
 *
 * @param seed seed of the shuffle and of the capped samples (default: the profile's seed)
 * @param batchSize rows per {@code batch_index}
 * @param negatives negatives kept per example (the first, best-ranked ones), at most the contract's
 *     7
 * @param maxPerSource default cap of rows per source and stage (0 = no cap)
 * @param stage1TaskTypes task types of stage 1 (the recipe: retrieval only)
 * @param minNegatives rows with fewer negatives are dropped ({@code too_few_negatives}); null = the
 *     recipe's default per task type ({@link #minNegatives(String, String)})
 * @param fallback what happens to a row with fewer than {@code min_negatives} negatives: {@code
 *     drop} (default, the recipe: dropped and counted as {@code too_few_negatives}) or {@code
 *     random} (filled with seeded random texts of its source's pool, {@link RandomFill}; dropped
 *     only if still short)
 * @param sources per-source {@code cap}, {@code weight}, {@code min_negatives} and {@code fallback}
 */
public record BlendParams(
        @JsonProperty(Settings.SEED) Long seed,
        @JsonProperty(BATCH_SIZE) Integer batchSize,
        @JsonProperty(NEGATIVES) Integer negatives,
        @JsonProperty(MAX_PER_SOURCE) Long maxPerSource,
        @JsonProperty(STAGE1_TASK_TYPES) List<String> stage1TaskTypes,
        @JsonProperty(MIN_NEGATIVES) Integer minNegatives,
        @JsonProperty(FALLBACK) String fallback,
        @JsonProperty(SOURCES) Map<String, SourceMix> sources)
        implements Serializable {

    public static final String BATCH_SIZE = "batch_size";
    public static final int BATCH_SIZE_DEFAULT = TrainingContract.DEFAULT_BATCH_SIZE;
    public static final String NEGATIVES = "negatives";
    public static final int NEGATIVES_DEFAULT = TrainingContract.MAX_NEGATIVES;
    public static final String MAX_PER_SOURCE = "max_per_source";
    public static final long MAX_PER_SOURCE_DEFAULT = 200_000L;
    public static final String STAGE1_TASK_TYPES = "stage1_task_types";
    public static final List<String> STAGE1_TASK_TYPES_DEFAULT = List.of("retrieval");
    public static final String MIN_NEGATIVES = "min_negatives";
    public static final String SOURCES = "sources";
    public static final String FALLBACK = "fallback";
    public static final String FALLBACK_DROP = "drop";
    public static final String FALLBACK_DEFAULT = FALLBACK_DROP;

    /** The values of {@code fallback}. */
    public static final List<String> FALLBACKS = List.of(FALLBACK_DROP, RandomFill.MINER);

    private static final List<String> TASK_TYPES =
            List.of("retrieval", "classification", "clustering", "sts");

    private static final Check CHECK = Check.under(StageId.BLEND.settingsKey());

    public BlendParams {
        seed = requireNonNullElse(seed, PipelineConfig.SEED_DEFAULT);
        batchSize =
                (int)
                        CHECK.inRange(
                                BATCH_SIZE,
                                requireNonNullElse(batchSize, BATCH_SIZE_DEFAULT),
                                1,
                                1_000_000);
        negatives =
                (int)
                        CHECK.inRange(
                                NEGATIVES,
                                requireNonNullElse(negatives, NEGATIVES_DEFAULT),
                                0,
                                TrainingContract.MAX_NEGATIVES);
        maxPerSource = requireNonNullElse(maxPerSource, MAX_PER_SOURCE_DEFAULT);
        CHECK.that(maxPerSource >= 0, MAX_PER_SOURCE, maxPerSource, "must be >= 0 (0 = no cap)");
        stage1TaskTypes = requireNonNullElse(stage1TaskTypes, STAGE1_TASK_TYPES_DEFAULT);
        CHECK.that(
                !stage1TaskTypes.isEmpty() && TASK_TYPES.containsAll(stage1TaskTypes),
                STAGE1_TASK_TYPES,
                stage1TaskTypes,
                "must be a non-empty subset of " + TASK_TYPES);
        stage1TaskTypes = List.copyOf(stage1TaskTypes);
        checkMinNegatives(CHECK, minNegatives);
        fallback = CHECK.oneOf(FALLBACK, requireNonNullElse(fallback, FALLBACK_DEFAULT), FALLBACKS);
        sources = sources == null ? Map.of() : Ordered.map(sources);
    }

    /** The fallback of {@code source}: its own {@code fallback}, else the stage's. */
    public String fallback(String source) {
        SourceMix m = sources.get(source);
        return m != null && m.fallback() != null ? m.fallback() : fallback;
    }

    private static void checkMinNegatives(Check check, Integer min) {
        check.that(
                min == null || (min >= 0 && min <= TrainingContract.MAX_NEGATIVES),
                MIN_NEGATIVES,
                min,
                "must be in [0, "
                        + TrainingContract.MAX_NEGATIVES
                        + "] (or absent: per task type)");
    }

    /**
     * The fewest negatives a row of {@code source} must have, or null when it depends on the data:
     * the source's {@code min_negatives}, else the stage's, else the recipe's default per task
     * type, each at most {@code negatives} (the rows keep no more): every retrieval and STS example
     * trains with 7 hard negatives, so {@code negatives}; a classification or clustering source can
     * offer only its other labels, so null, and the blend uses the most negatives any of its rows
     * has (label-negatives gives each row up to {@code negatives} other labels), capped at {@code
     * negatives}.
     */
    public Integer minNegatives(String source, String taskType) {
        SourceMix m = sources.get(source);
        Integer set = m != null && m.minNegatives() != null ? m.minNegatives() : minNegatives;
        if (set != null) {
            return Math.min(set, negatives);
        }
        boolean labels = taskType.equals("classification") || taskType.equals("clustering");
        return labels ? null : negatives;
    }

    /** Every setting at its default. */
    public static BlendParams defaults() {
        return Settings.defaults(BlendParams.class);
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
     * Mixing of one source ({@code stages.blend.sources.<source>}).
     *
     * @param cap most rows per stage (overrides {@code max_per_source}; 0 = no cap)
     * @param weight fraction of the source's rows kept before the cap, in (0, 1]
     * @param minNegatives overrides {@code min_negatives} for this source
     * @param fallback overrides {@code fallback} for this source
     */
    public record SourceMix(
            @JsonProperty(CAP) Long cap,
            @JsonProperty(WEIGHT) Double weight,
            @JsonProperty(MIN_NEGATIVES) Integer minNegatives,
            @JsonProperty(FALLBACK) String fallback)
            implements Serializable {
        public static final String CAP = "cap";
        public static final String WEIGHT = "weight";
        private static final Check CHECK =
                Check.under(StageId.BLEND.settingsKey() + "." + SOURCES + ".*");

        public SourceMix {
            CHECK.that(cap == null || cap >= 0, CAP, cap, "must be >= 0 (0 = no cap)");
            CHECK.that(
                    weight == null || (weight > 0 && weight <= 1),
                    WEIGHT,
                    weight,
                    "must be in (0, 1]");
            checkMinNegatives(CHECK, minNegatives);
            CHECK.that(
                    fallback == null || FALLBACKS.contains(fallback),
                    FALLBACK,
                    fallback,
                    "must be one of " + FALLBACKS);
        }
    }
}
