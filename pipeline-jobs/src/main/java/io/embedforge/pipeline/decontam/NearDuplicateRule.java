package io.embedforge.pipeline.decontam;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.List;

/**
 * Near-duplicate filter of one training source: its training texts are compared with the eval texts
 * of {@code evalSources} by the Jaccard similarity of their word n-gram sets.
 *
 * @param evalSources sources whose eval splits this source is checked against (null: the source
 *     itself)
 * @param ngram words per n-gram (1..5, default 3); a text with fewer words is one n-gram
 * @param threshold drop at Jaccard >= this ((0, 1], default 0.6)
 */
public record NearDuplicateRule(
        @JsonProperty("eval_sources") List<String> evalSources,
        @JsonProperty("ngram") int ngram,
        @JsonProperty("threshold") double threshold)
        implements Serializable {

    public static final int NGRAM_DEFAULT = 3;
    public static final double THRESHOLD_DEFAULT = 0.6;

    public NearDuplicateRule {
        evalSources = evalSources == null ? null : List.copyOf(evalSources);
        if (ngram < 1 || ngram > 5) {
            throw new IllegalArgumentException(
                    "decontaminate.near_duplicates.*.ngram=" + ngram + " must be in [1, 5]");
        }
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException(
                    "decontaminate.near_duplicates.*.threshold="
                            + threshold
                            + " must be in (0, 1]");
        }
    }

    /** The eval sources of the rule for training source {@code source}. */
    public List<String> evalSourcesOf(String source) {
        return evalSources == null ? List.of(source) : evalSources;
    }

    @JsonCreator
    static NearDuplicateRule fromConfig(
            @JsonProperty("eval_sources") List<String> evalSources,
            @JsonProperty("ngram") Integer ngram,
            @JsonProperty("threshold") Double threshold) {
        return new NearDuplicateRule(
                evalSources,
                ngram != null ? ngram : NGRAM_DEFAULT,
                threshold != null ? threshold : THRESHOLD_DEFAULT);
    }
}
