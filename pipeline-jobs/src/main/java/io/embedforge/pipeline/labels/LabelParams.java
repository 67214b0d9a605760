package io.embedforge.pipeline.labels;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.common.Ordered;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Settings of {@code label-negatives}, bound from YAML with snake_case keys (absent keys take their
 * defaults) and validated when built.
 *
 * <p>Stratification by d+ (the label): within each (source, query field, label) stratum the
 * examples are ordered by a seeded hash of their id and the first {@code min(max_per_label,
 * ceil(sample_rate * n))} are kept. {@code sample_rate} alone is proportional sampling; {@code
 * max_per_label} alone caps large labels (balancing); both combine.
 *
 * @param seed seed of every sampled choice (default 42)
 * @param maxNegatives negatives per example (1..64, default 7)
 * @param splits splits that become training examples (default [train])
 * @param minLabelExamples labels with fewer examples in a source are rejected as {@code rare_label}
 *     (>= 1, default 2)
 * @param maxPerLabel cap of examples per label, 0 for none (>= 0, default 0)
 * @param sampleRate fraction of each label's examples kept ((0, 1], default 1.0)
 * @param defaultMode mode of sources without their own: {@code label} (default) or {@code example}
 * @param sources per-source settings by source name (default none)
 */
public record LabelParams(
        @JsonProperty("seed") long seed,
        @JsonProperty("max_negatives") int maxNegatives,
        @JsonProperty("splits") List<String> splits,
        @JsonProperty("min_label_examples") int minLabelExamples,
        @JsonProperty("max_per_label") int maxPerLabel,
        @JsonProperty("sample_rate") double sampleRate,
        @JsonProperty("default_mode") String defaultMode,
        @JsonProperty("sources") Map<String, LabelSourceParams> sources)
        implements Serializable {

    public static final long SEED_DEFAULT = 42L;
    public static final int MAX_NEGATIVES_DEFAULT = 7;
    public static final List<String> SPLITS_DEFAULT = List.of("train");
    public static final int MIN_LABEL_EXAMPLES_DEFAULT = 2;
    public static final int MAX_PER_LABEL_DEFAULT = 0;
    public static final double SAMPLE_RATE_DEFAULT = 1.0;
    public static final String DEFAULT_MODE_DEFAULT = LabelSourceParams.MODE_LABEL;

    public LabelParams {
        check(
                maxNegatives >= 1 && maxNegatives <= 64,
                "max_negatives",
                maxNegatives,
                "must be in [1, 64]");
        check(
                splits != null && !splits.isEmpty(),
                "splits",
                splits,
                "must name at least one split");
        check(minLabelExamples >= 1, "min_label_examples", minLabelExamples, "must be >= 1");
        check(maxPerLabel >= 0, "max_per_label", maxPerLabel, "must be >= 0 (0 = no cap)");
        check(sampleRate > 0 && sampleRate <= 1, "sample_rate", sampleRate, "must be in (0, 1]");
        check(
                LabelSourceParams.MODE_LABEL.equals(defaultMode)
                        || LabelSourceParams.MODE_EXAMPLE.equals(defaultMode),
                "default_mode",
                defaultMode,
                "must be one of [label, example]");
        splits = List.copyOf(splits);
        sources = sources == null ? Map.of() : Ordered.map(sources);
    }

    /** Every setting at its default. */
    public static LabelParams defaults() {
        return fromConfig(null, null, null, null, null, null, null, null);
    }

    /** Binds a YAML/JSON object; absent keys take their defaults. */
    @JsonCreator
    public static LabelParams fromConfig(
            @JsonProperty("seed") Long seed,
            @JsonProperty("max_negatives") Integer maxNegatives,
            @JsonProperty("splits") List<String> splits,
            @JsonProperty("min_label_examples") Integer minLabelExamples,
            @JsonProperty("max_per_label") Integer maxPerLabel,
            @JsonProperty("sample_rate") Double sampleRate,
            @JsonProperty("default_mode") String defaultMode,
            @JsonProperty("sources") Map<String, LabelSourceParams> sources) {
        return new LabelParams(
                seed != null ? seed : SEED_DEFAULT,
                maxNegatives != null ? maxNegatives : MAX_NEGATIVES_DEFAULT,
                splits != null ? splits : SPLITS_DEFAULT,
                minLabelExamples != null ? minLabelExamples : MIN_LABEL_EXAMPLES_DEFAULT,
                maxPerLabel != null ? maxPerLabel : MAX_PER_LABEL_DEFAULT,
                sampleRate != null ? sampleRate : SAMPLE_RATE_DEFAULT,
                defaultMode != null ? defaultMode : DEFAULT_MODE_DEFAULT,
                sources);
    }

    /** The settings of {@code source} (its own, else the defaults). */
    public LabelSourceParams source(String source) {
        return sources.getOrDefault(source, LabelSourceParams.defaults());
    }

    /** The mode of {@code source}. */
    public String mode(String source) {
        String mode = source(source).mode();
        return mode != null ? mode : defaultMode;
    }

    private static void check(boolean ok, String key, Object value, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("label_negatives." + key + "=" + value + " " + rule);
        }
    }
}
