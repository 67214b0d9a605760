package io.embedforge.pipeline.decontam;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.util.List;

/**
 * Near-duplicate filter of one training source ({@code
 * stages.decontaminate.near_duplicates.<source>}): its training texts are compared with the eval
 * texts of {@code evalSources} by the Jaccard similarity of their word n-gram sets.
 *
 * @param evalSources sources whose eval splits this source is checked against (null: the source
 *     itself)
 * @param ngram words per n-gram (1..5, default 3); a text with fewer words is one n-gram
 * @param threshold drop at Jaccard >= this ((0, 1], default 0.6)
 */
public record NearDuplicateRule(
        @JsonProperty(EVAL_SOURCES) List<String> evalSources,
        @JsonProperty(NGRAM) Integer ngram,
        @JsonProperty(THRESHOLD) Double threshold)
        implements Serializable {

    public static final String EVAL_SOURCES = "eval_sources";
    public static final String NGRAM = "ngram";
    public static final int NGRAM_DEFAULT = 3;
    public static final String THRESHOLD = "threshold";
    public static final double THRESHOLD_DEFAULT = 0.6;

    private static final Check CHECK =
            Check.under(
                    StageId.DECONTAMINATE.settingsKey()
                            + "."
                            + DecontamParams.NEAR_DUPLICATES
                            + ".*");

    public NearDuplicateRule {
        evalSources = evalSources == null ? null : List.copyOf(evalSources);
        ngram = (int) CHECK.inRange(NGRAM, requireNonNullElse(ngram, NGRAM_DEFAULT), 1, 5);
        threshold = requireNonNullElse(threshold, THRESHOLD_DEFAULT);
        CHECK.that(threshold > 0 && threshold <= 1, THRESHOLD, threshold, "must be in (0, 1]");
    }

    /** The eval sources of the rule for training source {@code source}. */
    public List<String> evalSourcesOf(String source) {
        return evalSources == null ? List.of(source) : evalSources;
    }
}
