package io.embedforge.pipeline.labels;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.util.List;

/**
 * Per-source settings of {@code label-negatives}, bound with its settings by {@code Settings}
 * ({@code stages.label-negatives.sources.<source>}); every key is optional.
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
        @JsonProperty(MODE) String mode,
        @JsonProperty(TARGETS) List<String> targets,
        @JsonProperty(POSITIVE) String positive,
        @JsonProperty(KNOWN_LABELS) List<String> knownLabels)
        implements Serializable {

    public static final String MODE = "mode";
    public static final String MODE_LABEL = "label";
    public static final String MODE_EXAMPLE = "example";
    public static final List<String> MODES = List.of(MODE_LABEL, MODE_EXAMPLE);
    public static final String TARGETS = "targets";
    public static final String TARGET_TITLE = "title";
    public static final String TARGET_ABSTRACT = "abstract";
    public static final List<String> TARGETS_DEFAULT = List.of(TARGET_TITLE);
    public static final String POSITIVE = "positive";
    public static final String POSITIVE_CATEGORY = "category";
    public static final String POSITIVE_SAMPLE = "sample_categories";
    public static final String KNOWN_LABELS = "known_labels";

    private static final Check CHECK =
            Check.under(StageId.LABEL_NEGATIVES.settingsKey() + "." + LabelParams.SOURCES + ".*");

    public LabelSourceParams {
        CHECK.that(mode == null || MODES.contains(mode), MODE, mode, "must be one of " + MODES);
        targets = List.copyOf(requireNonNullElse(targets, TARGETS_DEFAULT));
        CHECK.that(
                !targets.isEmpty() && List.of(TARGET_TITLE, TARGET_ABSTRACT).containsAll(targets),
                TARGETS,
                targets,
                "must be a non-empty subset of [title, abstract]");
        positive =
                CHECK.oneOf(
                        POSITIVE,
                        requireNonNullElse(positive, POSITIVE_CATEGORY),
                        List.of(POSITIVE_CATEGORY, POSITIVE_SAMPLE));
        knownLabels = knownLabels == null ? List.of() : List.copyOf(knownLabels);
    }

    /** Every key at its default (built directly: it is looked up per row on executors). */
    public static LabelSourceParams defaults() {
        return new LabelSourceParams(null, null, null, null);
    }
}
