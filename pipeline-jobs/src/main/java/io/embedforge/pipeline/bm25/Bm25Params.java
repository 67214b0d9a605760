package io.embedforge.pipeline.bm25;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.common.LuceneText;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.util.List;

/**
 * Settings of {@code mine-bm25} ({@code stages.mine-bm25}), bound by {@link Settings}: a missing
 * key takes the default beside it; every value is checked when built.
 *
 * @param minScore keep STS records with a gold score at least this (0..5, default 4.0)
 * @param excludeAbove a text with a gold score above this with the query, anywhere in the STS data,
 *     is never its negative (0..5, default 2.5)
 * @param negatives negatives per example (1..64, default 7)
 * @param minRank negatives are taken at BM25 rank >= this in the whole pool (>= 1, default 2)
 * @param k1 BM25 term-frequency saturation (finite, >= 0, default 1.2, Lucene's default)
 * @param b BM25 length normalisation (0..1, default 0.75)
 * @param analyzer {@code english} (default) or {@code standard}
 * @param numShards index shards the pool is split into (1..4096, default 2; see the benchmark in
 *     docs/stages: shards should be large, about one per executor core for STS-sized pools)
 * @param exampleSplits splits whose records become training examples (default [train])
 * @param poolSplits splits whose texts form the negative pool (default [train])
 */
public record Bm25Params(
        @JsonProperty(MIN_SCORE) Double minScore,
        @JsonProperty(EXCLUDE_ABOVE) Double excludeAbove,
        @JsonProperty(NEGATIVES) Integer negatives,
        @JsonProperty(MIN_RANK) Integer minRank,
        @JsonProperty(K1) Double k1,
        @JsonProperty(B) Double b,
        @JsonProperty(ANALYZER) String analyzer,
        @JsonProperty(NUM_SHARDS) Integer numShards,
        @JsonProperty(EXAMPLE_SPLITS) List<String> exampleSplits,
        @JsonProperty(POOL_SPLITS) List<String> poolSplits)
        implements Serializable {

    public static final String MIN_SCORE = "min_score";
    public static final double MIN_SCORE_DEFAULT = 4.0;
    public static final String EXCLUDE_ABOVE = "exclude_above";
    public static final double EXCLUDE_ABOVE_DEFAULT = 2.5;
    public static final String NEGATIVES = "negatives";
    public static final int NEGATIVES_DEFAULT = 7;
    public static final String MIN_RANK = "min_rank";
    public static final int MIN_RANK_DEFAULT = 2;
    public static final String K1 = "k1";
    public static final double K1_DEFAULT = 1.2;
    public static final String B = "b";
    public static final double B_DEFAULT = 0.75;
    public static final String ANALYZER = "analyzer";
    public static final String ANALYZER_DEFAULT = LuceneText.ENGLISH;
    public static final String NUM_SHARDS = "num_shards";
    public static final int NUM_SHARDS_DEFAULT = 2;
    public static final String EXAMPLE_SPLITS = "example_splits";
    public static final List<String> EXAMPLE_SPLITS_DEFAULT = List.of("train");
    public static final String POOL_SPLITS = "pool_splits";
    public static final List<String> POOL_SPLITS_DEFAULT = List.of("train");

    /** Highest gold score of the STS scale. */
    public static final double SCORE_MAX = 5.0;

    private static final Check CHECK = Check.under(StageId.MINE_BM25.settingsKey());

    public Bm25Params {
        minScore =
                CHECK.inRange(
                        MIN_SCORE, requireNonNullElse(minScore, MIN_SCORE_DEFAULT), 0, SCORE_MAX);
        excludeAbove =
                CHECK.inRange(
                        EXCLUDE_ABOVE,
                        requireNonNullElse(excludeAbove, EXCLUDE_ABOVE_DEFAULT),
                        0,
                        SCORE_MAX);
        negatives =
                (int)
                        CHECK.inRange(
                                NEGATIVES, requireNonNullElse(negatives, NEGATIVES_DEFAULT), 1, 64);
        minRank = (int) CHECK.atLeast(MIN_RANK, requireNonNullElse(minRank, MIN_RANK_DEFAULT), 1);
        k1 = requireNonNullElse(k1, K1_DEFAULT);
        CHECK.that(Double.isFinite(k1) && k1 >= 0, K1, k1, "must be finite and >= 0");
        b = CHECK.inRange(B, requireNonNullElse(b, B_DEFAULT), 0, 1);
        analyzer =
                CHECK.oneOf(
                        ANALYZER, requireNonNullElse(analyzer, ANALYZER_DEFAULT), LuceneText.NAMES);
        numShards =
                (int)
                        CHECK.inRange(
                                NUM_SHARDS,
                                requireNonNullElse(numShards, NUM_SHARDS_DEFAULT),
                                1,
                                4096);
        exampleSplits =
                CHECK.notEmpty(
                        EXAMPLE_SPLITS,
                        requireNonNullElse(exampleSplits, EXAMPLE_SPLITS_DEFAULT),
                        "split");
        poolSplits =
                CHECK.notEmpty(
                        POOL_SPLITS, requireNonNullElse(poolSplits, POOL_SPLITS_DEFAULT), "split");
    }

    /** Every setting at its default. */
    public static Bm25Params defaults() {
        return Settings.defaults(Bm25Params.class);
    }

    /** A copy with another shard count. */
    public Bm25Params withNumShards(int shards) {
        return Settings.with(this, NUM_SHARDS, shards);
    }
}
