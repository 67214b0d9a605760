package io.embedforge.pipeline.decontam;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.common.Ordered;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Settings of {@code decontaminate}, bound from YAML with snake_case keys (absent keys take their
 * defaults) and validated when built.
 *
 * @param evalSplits splits whose texts are evaluation texts (default [test])
 * @param trainSplits splits whose rows are checked and may be dropped (default [train])
 * @param nearDuplicates near-duplicate rules by training source (default none: exact matching only)
 * @param maxNgramDf an n-gram shared by more eval texts than this does not propose candidate pairs
 *     (bounds the candidate join; >= 1, default 1000); candidates are still scored on all their
 *     n-grams
 */
public record DecontamParams(
        @JsonProperty("eval_splits") List<String> evalSplits,
        @JsonProperty("train_splits") List<String> trainSplits,
        @JsonProperty("near_duplicates") Map<String, NearDuplicateRule> nearDuplicates,
        @JsonProperty("max_ngram_df") int maxNgramDf)
        implements Serializable {

    public static final List<String> EVAL_SPLITS_DEFAULT = List.of("test");
    public static final List<String> TRAIN_SPLITS_DEFAULT = List.of("train");
    public static final int MAX_NGRAM_DF_DEFAULT = 1000;

    public DecontamParams {
        check(
                evalSplits != null && !evalSplits.isEmpty(),
                "eval_splits",
                evalSplits,
                "must name at least one split");
        check(
                trainSplits != null && !trainSplits.isEmpty(),
                "train_splits",
                trainSplits,
                "must name at least one split");
        evalSplits = List.copyOf(evalSplits);
        trainSplits = List.copyOf(trainSplits);
        for (String s : trainSplits) {
            check(
                    !evalSplits.contains(s),
                    "train_splits",
                    trainSplits,
                    "must not share a split with eval_splits=" + evalSplits);
        }
        nearDuplicates = nearDuplicates == null ? Map.of() : Ordered.map(nearDuplicates);
        check(maxNgramDf >= 1, "max_ngram_df", maxNgramDf, "must be >= 1");
    }

    /**
     * This configuration with every near-duplicate rule that names no eval sources checked against
     * all source instances of its dataset (emotion against emotion_test, too): a profile declares
     * an eval split as a second instance of the dataset, whose rows carry that instance's name, so
     * "the source itself" alone would find no eval text.
     *
     * @param datasetOfInstance the dataset (source file) of every source instance of the profile
     */
    public DecontamParams withEvalSourcesOfSameDataset(Map<String, String> datasetOfInstance) {
        Map<String, NearDuplicateRule> rules = new TreeMap<>();
        nearDuplicates.forEach(
                (source, rule) -> {
                    String dataset = datasetOfInstance.get(source);
                    if (rule.evalSources() != null || dataset == null) {
                        rules.put(source, rule);
                        return;
                    }
                    List<String> siblings = new ArrayList<>();
                    datasetOfInstance.forEach(
                            (instance, d) -> {
                                if (d.equals(dataset)) {
                                    siblings.add(instance);
                                }
                            });
                    Collections.sort(siblings);
                    rules.put(
                            source,
                            new NearDuplicateRule(siblings, rule.ngram(), rule.threshold()));
                });
        return new DecontamParams(evalSplits, trainSplits, rules, maxNgramDf);
    }

    /** Every setting at its default. */
    public static DecontamParams defaults() {
        return fromConfig(null, null, null, null);
    }

    /** Binds a YAML/JSON object; absent keys take their defaults. */
    @JsonCreator
    public static DecontamParams fromConfig(
            @JsonProperty("eval_splits") List<String> evalSplits,
            @JsonProperty("train_splits") List<String> trainSplits,
            @JsonProperty("near_duplicates") Map<String, NearDuplicateRule> nearDuplicates,
            @JsonProperty("max_ngram_df") Integer maxNgramDf) {
        return new DecontamParams(
                evalSplits != null ? evalSplits : EVAL_SPLITS_DEFAULT,
                trainSplits != null ? trainSplits : TRAIN_SPLITS_DEFAULT,
                nearDuplicates,
                maxNgramDf != null ? maxNgramDf : MAX_NGRAM_DF_DEFAULT);
    }

    private static void check(boolean ok, String key, Object value, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("decontaminate." + key + "=" + value + " " + rule);
        }
    }
}
