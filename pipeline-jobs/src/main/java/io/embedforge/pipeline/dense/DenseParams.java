package io.embedforge.pipeline.dense;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.encoder.EncoderConfig;
import java.io.Serializable;
import java.util.List;

/**
 * Settings of the {@code mine-dense} stage, bound by Jackson from the snake_case {@code mining:}
 * block of the config; a missing key takes the default named beside it ({@link #defaults()}). Every
 * value is validated here, on the driver, with a message naming the key, the value and what is
 * allowed. Immutable and serializable: shipped to executors inside the stage's closures.
 *
 * <p>Ranks are 1-based positions in the query's full retrieval list over the candidate corpus
 * (known positives and the query itself included, so the window is exactly the top {@code
 * range_max} hits); negatives are drawn from ranks {@code [range_min, range_max]}.
 *
 * @param encoder the text encoder (default: embedded E5-small-v2)
 * @param negatives negatives wanted per example ({@value #NEGATIVES_DEFAULT}); never padded
 * @param rangeMin first rank a negative may have ({@value #RANGE_MIN_DEFAULT})
 * @param rangeMax last rank a negative may have ({@value #RANGE_MAX_DEFAULT}); also the search k
 * @param scoreFloor candidates scoring below are dropped; null = no floor
 * @param scoreCeiling candidates scoring above are dropped; null = no ceiling
 * @param positiveFilter {@code perc_pos} (default; NV-Retriever TopK-PercPos), {@code margin_pos}
 *     (TopK-MarginPos) or {@code none}
 * @param percPos TopK-PercPos: drop candidates scoring above {@code perc_pos} x the query's lowest
 *     positive score ({@value #PERC_POS_DEFAULT}, the NV-Embed-v2 setting)
 * @param marginPos TopK-MarginPos: drop candidates scoring above the lowest positive score minus
 *     {@code margin_pos} ({@value #MARGIN_POS_DEFAULT})
 * @param sampling {@code top} (default: best-ranked survivors) or {@code random} (seeded by the
 *     example id, uniform over the survivors of the window)
 * @param seed seed of every random choice ({@value #SEED_DEFAULT})
 * @param queryBlock queries per scoring block ({@value #QUERY_BLOCK_DEFAULT})
 * @param corpusBlock candidates per scoring block ({@value #CORPUS_BLOCK_DEFAULT}); with {@code
 *     query_block} it bounds a task's memory: (query_block + corpus_block) x dim floats plus
 *     query_block x corpus_block scores
 * @param maxTextChars texts longer than this many characters are rejected rather than silently
 *     truncated to the model's window ({@value #MAX_TEXT_CHARS_DEFAULT})
 * @param encodeChunk texts handed to the encoder per call: the unit of length sorting ({@value
 *     #ENCODE_CHUNK_DEFAULT})
 * @param scoringThreads libtorch threads of the block products; 0 = every core of the JVM
 */
public record DenseParams(
        @JsonProperty("encoder") EncoderConfig encoder,
        @JsonProperty("negatives") Integer negatives,
        @JsonProperty("range_min") Integer rangeMin,
        @JsonProperty("range_max") Integer rangeMax,
        @JsonProperty("score_floor") Double scoreFloor,
        @JsonProperty("score_ceiling") Double scoreCeiling,
        @JsonProperty("positive_filter") String positiveFilter,
        @JsonProperty("perc_pos") Double percPos,
        @JsonProperty("margin_pos") Double marginPos,
        @JsonProperty("sampling") String sampling,
        @JsonProperty("seed") Long seed,
        @JsonProperty("query_block") Integer queryBlock,
        @JsonProperty("corpus_block") Integer corpusBlock,
        @JsonProperty("max_text_chars") Integer maxTextChars,
        @JsonProperty("encode_chunk") Integer encodeChunk,
        @JsonProperty("scoring_threads") Integer scoringThreads)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final int NEGATIVES_DEFAULT = 7;
    public static final int RANGE_MIN_DEFAULT = 1;
    public static final int RANGE_MAX_DEFAULT = 50;
    public static final String POSITIVE_FILTER_DEFAULT = "perc_pos";
    public static final double PERC_POS_DEFAULT = 0.95;
    public static final double MARGIN_POS_DEFAULT = 0.05;
    public static final String SAMPLING_DEFAULT = "top";
    public static final long SEED_DEFAULT = 42L;
    public static final int QUERY_BLOCK_DEFAULT = 8192;
    public static final int CORPUS_BLOCK_DEFAULT = 4096;
    public static final int MAX_TEXT_CHARS_DEFAULT = 20_000;
    public static final int ENCODE_CHUNK_DEFAULT = 1024;

    /** Allowed values of {@code positive_filter}. */
    public static final List<String> POSITIVE_FILTERS = List.of("perc_pos", "margin_pos", "none");

    /** Allowed values of {@code sampling}. */
    public static final List<String> SAMPLINGS = List.of("top", "random");

    /** Largest block size accepted; beyond it one task would hold gigabytes. */
    public static final int BLOCK_LIMIT = 1 << 16;

    public DenseParams {
        encoder = encoder == null ? EncoderConfig.defaults() : encoder;
        negatives = negatives == null ? NEGATIVES_DEFAULT : negatives;
        rangeMin = rangeMin == null ? RANGE_MIN_DEFAULT : rangeMin;
        rangeMax = rangeMax == null ? RANGE_MAX_DEFAULT : rangeMax;
        positiveFilter = positiveFilter == null ? POSITIVE_FILTER_DEFAULT : positiveFilter;
        percPos = percPos == null ? PERC_POS_DEFAULT : percPos;
        marginPos = marginPos == null ? MARGIN_POS_DEFAULT : marginPos;
        sampling = sampling == null ? SAMPLING_DEFAULT : sampling;
        seed = seed == null ? SEED_DEFAULT : seed;
        queryBlock = queryBlock == null ? QUERY_BLOCK_DEFAULT : queryBlock;
        corpusBlock = corpusBlock == null ? CORPUS_BLOCK_DEFAULT : corpusBlock;
        maxTextChars = maxTextChars == null ? MAX_TEXT_CHARS_DEFAULT : maxTextChars;
        encodeChunk = encodeChunk == null ? ENCODE_CHUNK_DEFAULT : encodeChunk;
        scoringThreads = scoringThreads == null ? 0 : scoringThreads;

        if (negatives < 1 || negatives > 1000) {
            throw new IllegalArgumentException(
                    "mining.negatives=" + negatives + " must be in [1, 1000]");
        }
        if (rangeMin < 1) {
            throw new IllegalArgumentException(
                    "mining.range_min=" + rangeMin + " must be >= 1 (ranks are 1-based)");
        }
        if (rangeMax <= rangeMin) {
            throw new IllegalArgumentException(
                    "mining.range_max=" + rangeMax + " must be > range_min=" + rangeMin);
        }
        if (rangeMax > 100_000) {
            throw new IllegalArgumentException(
                    "mining.range_max=" + rangeMax + " must be <= 100000");
        }
        if (scoreFloor != null && !Double.isFinite(scoreFloor)) {
            throw new IllegalArgumentException(
                    "mining.score_floor=" + scoreFloor + " must be finite (or absent)");
        }
        if (scoreCeiling != null && !Double.isFinite(scoreCeiling)) {
            throw new IllegalArgumentException(
                    "mining.score_ceiling=" + scoreCeiling + " must be finite (or absent)");
        }
        if (scoreFloor != null && scoreCeiling != null && scoreCeiling <= scoreFloor) {
            throw new IllegalArgumentException(
                    "mining.score_ceiling="
                            + scoreCeiling
                            + " must be > score_floor="
                            + scoreFloor);
        }
        if (!POSITIVE_FILTERS.contains(positiveFilter)) {
            throw new IllegalArgumentException(
                    "mining.positive_filter="
                            + positiveFilter
                            + " must be one of "
                            + POSITIVE_FILTERS);
        }
        if (!(percPos > 0 && percPos <= 1)) {
            throw new IllegalArgumentException("mining.perc_pos=" + percPos + " must be in (0, 1]");
        }
        if (!(marginPos >= 0 && marginPos <= 2)) {
            throw new IllegalArgumentException(
                    "mining.margin_pos=" + marginPos + " must be in [0, 2]");
        }
        if (!SAMPLINGS.contains(sampling)) {
            throw new IllegalArgumentException(
                    "mining.sampling=" + sampling + " must be one of " + SAMPLINGS);
        }
        if (queryBlock < 1 || queryBlock > BLOCK_LIMIT) {
            throw new IllegalArgumentException(
                    "mining.query_block=" + queryBlock + " must be in [1, " + BLOCK_LIMIT + "]");
        }
        if (corpusBlock < 1 || corpusBlock > BLOCK_LIMIT) {
            throw new IllegalArgumentException(
                    "mining.corpus_block=" + corpusBlock + " must be in [1, " + BLOCK_LIMIT + "]");
        }
        if (maxTextChars < 1) {
            throw new IllegalArgumentException(
                    "mining.max_text_chars=" + maxTextChars + " must be >= 1");
        }
        if (encodeChunk < 1 || encodeChunk > 1 << 20) {
            throw new IllegalArgumentException(
                    "mining.encode_chunk=" + encodeChunk + " must be in [1, 1048576]");
        }
        if (scoringThreads < 0 || scoringThreads > 1024) {
            throw new IllegalArgumentException(
                    "mining.scoring_threads="
                            + scoringThreads
                            + " must be in [0, 1024] (0 = all cores)");
        }
    }

    /** Every default: embedded E5, 7 negatives from ranks [1, 50], TopK-PercPos 0.95, top. */
    public static DenseParams defaults() {
        return builder().build();
    }

    /** A builder starting from this record's values (tests and the CLI override a few keys). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.encoder = encoder;
        b.negatives = negatives;
        b.rangeMin = rangeMin;
        b.rangeMax = rangeMax;
        b.scoreFloor = scoreFloor;
        b.scoreCeiling = scoreCeiling;
        b.positiveFilter = positiveFilter;
        b.percPos = percPos;
        b.marginPos = marginPos;
        b.sampling = sampling;
        b.seed = seed;
        b.queryBlock = queryBlock;
        b.corpusBlock = corpusBlock;
        b.maxTextChars = maxTextChars;
        b.encodeChunk = encodeChunk;
        b.scoringThreads = scoringThreads;
        return b;
    }

    /** A builder with every key unset (= default). */
    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private EncoderConfig encoder;
        private Integer negatives;
        private Integer rangeMin;
        private Integer rangeMax;
        private Double scoreFloor;
        private Double scoreCeiling;
        private String positiveFilter;
        private Double percPos;
        private Double marginPos;
        private String sampling;
        private Long seed;
        private Integer queryBlock;
        private Integer corpusBlock;
        private Integer maxTextChars;
        private Integer encodeChunk;
        private Integer scoringThreads;

        private Builder() {}

        public Builder encoder(EncoderConfig v) {
            encoder = v;
            return this;
        }

        public Builder negatives(int v) {
            negatives = v;
            return this;
        }

        public Builder range(int min, int max) {
            rangeMin = min;
            rangeMax = max;
            return this;
        }

        public Builder scoreFloor(Double v) {
            scoreFloor = v;
            return this;
        }

        public Builder scoreCeiling(Double v) {
            scoreCeiling = v;
            return this;
        }

        public Builder positiveFilter(String v) {
            positiveFilter = v;
            return this;
        }

        public Builder percPos(double v) {
            percPos = v;
            return this;
        }

        public Builder marginPos(double v) {
            marginPos = v;
            return this;
        }

        public Builder sampling(String v) {
            sampling = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder blocks(int queries, int corpus) {
            queryBlock = queries;
            corpusBlock = corpus;
            return this;
        }

        public Builder maxTextChars(int v) {
            maxTextChars = v;
            return this;
        }

        public Builder encodeChunk(int v) {
            encodeChunk = v;
            return this;
        }

        public Builder scoringThreads(int v) {
            scoringThreads = v;
            return this;
        }

        public DenseParams build() {
            return new DenseParams(
                    encoder,
                    negatives,
                    rangeMin,
                    rangeMax,
                    scoreFloor,
                    scoreCeiling,
                    positiveFilter,
                    percPos,
                    marginPos,
                    sampling,
                    seed,
                    queryBlock,
                    corpusBlock,
                    maxTextChars,
                    encodeChunk,
                    scoringThreads);
        }
    }
}
