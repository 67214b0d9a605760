package io.embedforge.pipeline.labels;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.List;

/**
 * Per-source settings of {@code label-negatives}; every key is optional.
 *
 * @param mode {@code label} (d+ and negatives are label texts, NV-Embed) or {@code example} (d+ is
 *     another example of the class, negatives examples of other classes, NV-Embed-v2; binary sets
 *     keep label texts); null means the stage's {@code default_mode}
 * @param targets clustering only: which field is the query, {@code title} (S2S) and/or {@code
 *     abstract} (P2P); each gives its own examples (default [title])
 * @param positive clustering only: {@code category} (the main category, default) or {@code
 *     sample_categories} (one of the record's categories, seeded)
 * @param knownLabels when not empty, labels outside this list are rejected as {@code unknown_label}
 *     (default empty: any label)
 */
public record LabelSourceParams(
        @JsonProperty("mode") String mode,
        @JsonProperty("targets") List<String> targets,
        @JsonProperty("positive") String positive,
        @JsonProperty("known_labels") List<String> knownLabels)
        implements Serializable {

    public static final String MODE_LABEL = "label";
    public static final String MODE_EXAMPLE = "example";
    public static final String TARGET_TITLE = "title";
    public static final String TARGET_ABSTRACT = "abstract";
    public static final String POSITIVE_CATEGORY = "category";
    public static final String POSITIVE_SAMPLE = "sample_categories";
    public static final List<String> TARGETS_DEFAULT = List.of(TARGET_TITLE);

    public LabelSourceParams {
        if (mode != null && !mode.equals(MODE_LABEL) && !mode.equals(MODE_EXAMPLE)) {
            throw new IllegalArgumentException(
                    "label_negatives.sources.*.mode=" + mode + " must be one of [label, example]");
        }
        targets = targets == null ? TARGETS_DEFAULT : List.copyOf(targets);
        if (targets.isEmpty() || !List.of(TARGET_TITLE, TARGET_ABSTRACT).containsAll(targets)) {
            throw new IllegalArgumentException(
                    "label_negatives.sources.*.targets="
                            + targets
                            + " must be a non-empty subset of [title, abstract]");
        }
        positive = positive == null ? POSITIVE_CATEGORY : positive;
        if (!positive.equals(POSITIVE_CATEGORY) && !positive.equals(POSITIVE_SAMPLE)) {
            throw new IllegalArgumentException(
                    "label_negatives.sources.*.positive="
                            + positive
                            + " must be one of [category, sample_categories]");
        }
        knownLabels = knownLabels == null ? List.of() : List.copyOf(knownLabels);
    }

    /** Every key at its default. */
    public static LabelSourceParams defaults() {
        return new LabelSourceParams(null, null, null, null);
    }

    @JsonCreator
    static LabelSourceParams fromConfig(
            @JsonProperty("mode") String mode,
            @JsonProperty("targets") List<String> targets,
            @JsonProperty("positive") String positive,
            @JsonProperty("known_labels") List<String> knownLabels) {
        return new LabelSourceParams(mode, targets, positive, knownLabels);
    }
}
