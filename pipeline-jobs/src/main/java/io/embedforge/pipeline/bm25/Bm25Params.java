package io.embedforge.pipeline.bm25;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.List;

/**
 * Settings of {@code mine-bm25}, bound from YAML with snake_case keys (a missing key takes its
 * default) and validated when built.
 *
 * @param minScore keep STS records with a gold score at least this (0..5, default 4.0)
 * @param excludeAbove a text with a gold score above this with the query, anywhere in the STS data,
 *     is never its negative (0..5, default 2.5)
 * @param maxNegatives negatives per example (1..64, default 7)
 * @param minRank negatives are taken at BM25 rank >= this in the whole pool (>= 1, default 2)
 * @param k1 BM25 term-frequency saturation (finite, >= 0, default 1.2, Lucene's default)
 * @param b BM25 length normalisation (0..1, default 0.75)
 * @param analyzer {@code english} (default) or {@code standard}
 * @param numShards index shards the pool is split into (1..4096, default 8)
 * @param exampleSplits splits whose records become training examples (default [train])
 * @param poolSplits splits whose texts form the negative pool (default [train])
 */
public record Bm25Params(
        @JsonProperty("min_score") double minScore,
        @JsonProperty("exclude_above") double excludeAbove,
        @JsonProperty("max_negatives") int maxNegatives,
        @JsonProperty("min_rank") int minRank,
        @JsonProperty("k1") double k1,
        @JsonProperty("b") double b,
        @JsonProperty("analyzer") String analyzer,
        @JsonProperty("num_shards") int numShards,
        @JsonProperty("example_splits") List<String> exampleSplits,
        @JsonProperty("pool_splits") List<String> poolSplits)
        implements Serializable {

    public static final double MIN_SCORE_DEFAULT = 4.0;
    public static final double EXCLUDE_ABOVE_DEFAULT = 2.5;
    public static final int MAX_NEGATIVES_DEFAULT = 7;
    public static final int MIN_RANK_DEFAULT = 2;
    public static final double K1_DEFAULT = 1.2;
    public static final double B_DEFAULT = 0.75;
    public static final String ANALYZER_DEFAULT = LuceneText.ENGLISH;
    public static final int NUM_SHARDS_DEFAULT = 8;
    public static final List<String> EXAMPLE_SPLITS_DEFAULT = List.of("train");
    public static final List<String> POOL_SPLITS_DEFAULT = List.of("train");

    /** Highest gold score of the STS scale. */
    public static final double SCORE_MAX = 5.0;

    public Bm25Params {
        check(minScore >= 0 && minScore <= SCORE_MAX, "min_score", minScore, "must be in [0, 5]");
        check(
                excludeAbove >= 0 && excludeAbove <= SCORE_MAX,
                "exclude_above",
                excludeAbove,
                "must be in [0, 5]");
        check(
                maxNegatives >= 1 && maxNegatives <= 64,
                "max_negatives",
                maxNegatives,
                "must be in [1, 64]");
        check(minRank >= 1, "min_rank", minRank, "must be >= 1");
        check(Double.isFinite(k1) && k1 >= 0, "k1", k1, "must be finite and >= 0");
        check(b >= 0 && b <= 1, "b", b, "must be in [0, 1]");
        check(
                analyzer != null && LuceneText.isSupported(analyzer),
                "analyzer",
                analyzer,
                "must be one of [english, standard]");
        check(numShards >= 1 && numShards <= 4096, "num_shards", numShards, "must be in [1, 4096]");
        check(
                exampleSplits != null && !exampleSplits.isEmpty(),
                "example_splits",
                exampleSplits,
                "must name at least one split");
        check(
                poolSplits != null && !poolSplits.isEmpty(),
                "pool_splits",
                poolSplits,
                "must name at least one split");
        exampleSplits = List.copyOf(exampleSplits);
        poolSplits = List.copyOf(poolSplits);
    }

    /** Every setting at its default. */
    public static Bm25Params defaults() {
        return fromConfig(null, null, null, null, null, null, null, null, null, null);
    }

    /** Binds a YAML/JSON object; absent keys take their defaults. */
    @JsonCreator
    public static Bm25Params fromConfig(
            @JsonProperty("min_score") Double minScore,
            @JsonProperty("exclude_above") Double excludeAbove,
            @JsonProperty("max_negatives") Integer maxNegatives,
            @JsonProperty("min_rank") Integer minRank,
            @JsonProperty("k1") Double k1,
            @JsonProperty("b") Double b,
            @JsonProperty("analyzer") String analyzer,
            @JsonProperty("num_shards") Integer numShards,
            @JsonProperty("example_splits") List<String> exampleSplits,
            @JsonProperty("pool_splits") List<String> poolSplits) {
        return new Bm25Params(
                minScore != null ? minScore : MIN_SCORE_DEFAULT,
                excludeAbove != null ? excludeAbove : EXCLUDE_ABOVE_DEFAULT,
                maxNegatives != null ? maxNegatives : MAX_NEGATIVES_DEFAULT,
                minRank != null ? minRank : MIN_RANK_DEFAULT,
                k1 != null ? k1 : K1_DEFAULT,
                b != null ? b : B_DEFAULT,
                analyzer != null ? analyzer : ANALYZER_DEFAULT,
                numShards != null ? numShards : NUM_SHARDS_DEFAULT,
                exampleSplits != null ? exampleSplits : EXAMPLE_SPLITS_DEFAULT,
                poolSplits != null ? poolSplits : POOL_SPLITS_DEFAULT);
    }

    /** A copy with another shard count. */
    public Bm25Params withNumShards(int shards) {
        return new Bm25Params(
                minScore,
                excludeAbove,
                maxNegatives,
                minRank,
                k1,
                b,
                analyzer,
                shards,
                exampleSplits,
                poolSplits);
    }

    private static void check(boolean ok, String key, Object value, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("bm25." + key + "=" + value + " " + rule);
        }
    }
}
