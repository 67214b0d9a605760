package io.embedforge.pipeline.decontam;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.common.Ordered;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Settings of {@code decontaminate} ({@code stages.decontaminate}), bound by {@link Settings}: a
 * missing key takes the default beside it; every value is checked when built.
 *
 * @param evalSplits splits whose texts are evaluation texts (default [test])
 * @param trainSplits splits whose rows are checked and may be dropped (default [train])
 * @param nearDuplicates near-duplicate rules by training source (default none: exact matching only)
 * @param maxNgramDf an n-gram shared by more eval texts than this does not propose candidate pairs
 *     (bounds the candidate join; >= 1, default 1000); candidates are still scored on all their
 *     n-grams
 * @param evalConfigs eval configs ({@code conf/eval-*.yaml} of {@code eval}, relative to the
 *     profile's folder) whose scored texts must not reach training: a row of any split with a text
 *     field equal to one, normalised, is dropped ({@code eval_set_match}); default none
 */
public record DecontamParams(
        @JsonProperty(EVAL_SPLITS) List<String> evalSplits,
        @JsonProperty(TRAIN_SPLITS) List<String> trainSplits,
        @JsonProperty(NEAR_DUPLICATES) Map<String, NearDuplicateRule> nearDuplicates,
        @JsonProperty(MAX_NGRAM_DF) Integer maxNgramDf,
        @JsonProperty(EVAL_CONFIGS) List<String> evalConfigs)
        implements Serializable {

    public static final String EVAL_SPLITS = "eval_splits";
    public static final List<String> EVAL_SPLITS_DEFAULT = List.of("test");
    public static final String TRAIN_SPLITS = "train_splits";
    public static final List<String> TRAIN_SPLITS_DEFAULT = List.of("train");
    public static final String NEAR_DUPLICATES = "near_duplicates";
    public static final String MAX_NGRAM_DF = "max_ngram_df";
    public static final int MAX_NGRAM_DF_DEFAULT = 1000;
    public static final String EVAL_CONFIGS = "eval_configs";

    private static final Check CHECK = Check.under(StageId.DECONTAMINATE.settingsKey());

    public DecontamParams {
        evalSplits =
                CHECK.notEmpty(
                        EVAL_SPLITS, requireNonNullElse(evalSplits, EVAL_SPLITS_DEFAULT), "split");
        trainSplits =
                CHECK.notEmpty(
                        TRAIN_SPLITS,
                        requireNonNullElse(trainSplits, TRAIN_SPLITS_DEFAULT),
                        "split");
        for (String s : trainSplits) {
            CHECK.that(
                    !evalSplits.contains(s),
                    TRAIN_SPLITS,
                    trainSplits,
                    "must not share a split with " + EVAL_SPLITS + "=" + evalSplits);
        }
        nearDuplicates = nearDuplicates == null ? Map.of() : Ordered.map(nearDuplicates);
        maxNgramDf =
                (int)
                        CHECK.atLeast(
                                MAX_NGRAM_DF,
                                requireNonNullElse(maxNgramDf, MAX_NGRAM_DF_DEFAULT),
                                1);
        evalConfigs = evalConfigs == null ? List.of() : List.copyOf(evalConfigs);
    }

    /** This configuration with the eval config paths resolved against {@code base}. */
    public DecontamParams withEvalConfigsUnder(Path base) {
        List<String> resolved =
                evalConfigs.stream().map(f -> base.resolve(f).normalize().toString()).toList();
        return new DecontamParams(evalSplits, trainSplits, nearDuplicates, maxNgramDf, resolved);
    }

    /** Every setting at its default. */
    public static DecontamParams defaults() {
        return Settings.defaults(DecontamParams.class);
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
        return new DecontamParams(evalSplits, trainSplits, rules, maxNgramDf, evalConfigs);
    }
}
