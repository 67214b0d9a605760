package io.embedforge.pipeline.labels;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.common.Ordered;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Settings of {@code label-negatives} ({@code stages.label-negatives}), bound by {@link Settings}:
 * a missing key takes the default beside it; every value is checked when built.
 *
 * <p>Stratification by d+ (the label): within each (source, query field, label) stratum the
 * examples are ordered by a seeded hash of their id and the first {@code min(max_per_label,
 * ceil(sample_rate * n))} are kept. {@code sample_rate} alone is proportional sampling; {@code
 * max_per_label} alone caps large labels (balancing); both combine.
 *
 * @param seed seed of every sampled choice (default: the profile's seed)
 * @param negatives negatives per example (1..64, default 7)
 * @param splits splits that become training examples (default [train])
 * @param minLabelExamples labels with fewer examples in a source are rejected as {@code rare_label}
 *     (>= 1, default 2)
 * @param maxPerLabel cap of examples per label, 0 for none (>= 0, default 0)
 * @param sampleRate fraction of each label's examples kept ((0, 1], default 1.0)
 * @param defaultMode mode of sources without their own: {@code label} (default) or {@code example}
 * @param sources per-source settings by source name (default none)
 */
public record LabelParams(
        @JsonProperty(Settings.SEED) Long seed,
        @JsonProperty(NEGATIVES) Integer negatives,
        @JsonProperty(SPLITS) List<String> splits,
        @JsonProperty(MIN_LABEL_EXAMPLES) Integer minLabelExamples,
        @JsonProperty(MAX_PER_LABEL) Integer maxPerLabel,
        @JsonProperty(SAMPLE_RATE) Double sampleRate,
        @JsonProperty(DEFAULT_MODE) String defaultMode,
        @JsonProperty(SOURCES) Map<String, LabelSourceParams> sources)
        implements Serializable {

    public static final String NEGATIVES = "negatives";
    public static final int NEGATIVES_DEFAULT = 7;
    public static final String SPLITS = "splits";
    public static final List<String> SPLITS_DEFAULT = List.of("train");
    public static final String MIN_LABEL_EXAMPLES = "min_label_examples";
    public static final int MIN_LABEL_EXAMPLES_DEFAULT = 2;
    public static final String MAX_PER_LABEL = "max_per_label";
    public static final int MAX_PER_LABEL_DEFAULT = 0;
    public static final String SAMPLE_RATE = "sample_rate";
    public static final double SAMPLE_RATE_DEFAULT = 1.0;
    public static final String DEFAULT_MODE = "default_mode";
    public static final String DEFAULT_MODE_DEFAULT = LabelSourceParams.MODE_LABEL;
    public static final String SOURCES = "sources";

    private static final Check CHECK = Check.under(StageId.LABEL_NEGATIVES.settingsKey());

    public LabelParams {
        seed = requireNonNullElse(seed, PipelineConfig.SEED_DEFAULT);
        negatives =
                (int)
                        CHECK.inRange(
                                NEGATIVES, requireNonNullElse(negatives, NEGATIVES_DEFAULT), 1, 64);
        splits = CHECK.notEmpty(SPLITS, requireNonNullElse(splits, SPLITS_DEFAULT), "split");
        minLabelExamples =
                (int)
                        CHECK.atLeast(
                                MIN_LABEL_EXAMPLES,
                                requireNonNullElse(minLabelExamples, MIN_LABEL_EXAMPLES_DEFAULT),
                                1);
        maxPerLabel = requireNonNullElse(maxPerLabel, MAX_PER_LABEL_DEFAULT);
        CHECK.that(maxPerLabel >= 0, MAX_PER_LABEL, maxPerLabel, "must be >= 0 (0 = no cap)");
        sampleRate = requireNonNullElse(sampleRate, SAMPLE_RATE_DEFAULT);
        CHECK.that(sampleRate > 0 && sampleRate <= 1, SAMPLE_RATE, sampleRate, "must be in (0, 1]");
        defaultMode =
                CHECK.oneOf(
                        DEFAULT_MODE,
                        requireNonNullElse(defaultMode, DEFAULT_MODE_DEFAULT),
                        LabelSourceParams.MODES);
        sources = sources == null ? Map.of() : Ordered.map(sources);
    }

    /** Every setting at its default. */
    public static LabelParams defaults() {
        return Settings.defaults(LabelParams.class);
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
}
