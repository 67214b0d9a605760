package io.embedforge.pipeline.dense;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.encoder.EncoderConfig;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.util.List;

/**
 * Settings of the {@code mine-dense} stage ({@code stages.mine-dense}), bound by {@link Settings};
 * a missing key takes the default beside it. Every value is checked here, on the driver, with a
 * message naming the full key, the value and what is allowed. Immutable and serializable: shipped
 * to executors inside the stage's closures.
 *
 * <p>Ranks are 1-based positions in the query's full retrieval list over the candidate corpus
 * (known positives and the query itself included, so the window is exactly the top {@code
 * range_max} hits); negatives are drawn from ranks {@code [range_min, range_max]}.
 *
 * @param encoder the text encoder (default: embedded E5-small-v2)
 * @param negatives negatives wanted per example ({@value #NEGATIVES_DEFAULT}); never padded
 * @param rangeMin first rank a negative may have ({@value #RANGE_MIN_DEFAULT})
 * @param rangeMax last rank a negative may have ({@value #RANGE_MAX_DEFAULT}) when the window holds
 *     enough negatives; also the search k
 * @param maxRange how far the window may widen, doubling from {@code range_max}, for an example
 *     whose filters leave fewer than {@code negatives} inside it (default {@value
 *     #MAX_RANGE_DEFAULT}, or {@code range_max} when that is larger; {@code range_max} turns
 *     widening off); the corpus size bounds it too
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
 * @param seed seed of every random choice (default: the profile's seed)
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
        @JsonProperty(ENCODER) EncoderConfig encoder,
        @JsonProperty(NEGATIVES) Integer negatives,
        @JsonProperty(RANGE_MIN) Integer rangeMin,
        @JsonProperty(RANGE_MAX) Integer rangeMax,
        @JsonProperty(MAX_RANGE) Integer maxRange,
        @JsonProperty(SCORE_FLOOR) Double scoreFloor,
        @JsonProperty(SCORE_CEILING) Double scoreCeiling,
        @JsonProperty(POSITIVE_FILTER) String positiveFilter,
        @JsonProperty(PERC_POS) Double percPos,
        @JsonProperty(MARGIN_POS) Double marginPos,
        @JsonProperty(SAMPLING) String sampling,
        @JsonProperty(Settings.SEED) Long seed,
        @JsonProperty(QUERY_BLOCK) Integer queryBlock,
        @JsonProperty(CORPUS_BLOCK) Integer corpusBlock,
        @JsonProperty(MAX_TEXT_CHARS) Integer maxTextChars,
        @JsonProperty(ENCODE_CHUNK) Integer encodeChunk,
        @JsonProperty(SCORING_THREADS) Integer scoringThreads)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String ENCODER = "encoder";
    public static final String NEGATIVES = "negatives";
    public static final int NEGATIVES_DEFAULT = 7;
    public static final String RANGE_MIN = "range_min";
    public static final int RANGE_MIN_DEFAULT = 1;
    public static final String RANGE_MAX = "range_max";
    public static final int RANGE_MAX_DEFAULT = 50;
    public static final String MAX_RANGE = "max_range";
    public static final int MAX_RANGE_DEFAULT = 1000;
    public static final String SCORE_FLOOR = "score_floor";
    public static final String SCORE_CEILING = "score_ceiling";
    public static final String POSITIVE_FILTER = "positive_filter";
    public static final String POSITIVE_FILTER_DEFAULT = "perc_pos";
    public static final String PERC_POS = "perc_pos";
    public static final double PERC_POS_DEFAULT = 0.95;
    public static final String MARGIN_POS = "margin_pos";
    public static final double MARGIN_POS_DEFAULT = 0.05;
    public static final String SAMPLING = "sampling";
    public static final String SAMPLING_DEFAULT = "top";
    public static final String QUERY_BLOCK = "query_block";
    public static final int QUERY_BLOCK_DEFAULT = 8192;
    public static final String CORPUS_BLOCK = "corpus_block";
    public static final int CORPUS_BLOCK_DEFAULT = 4096;
    public static final String MAX_TEXT_CHARS = "max_text_chars";
    public static final int MAX_TEXT_CHARS_DEFAULT = 20_000;
    public static final String ENCODE_CHUNK = "encode_chunk";
    public static final int ENCODE_CHUNK_DEFAULT = 1024;
    public static final String SCORING_THREADS = "scoring_threads";

    /** Allowed values of {@code positive_filter}. */
    public static final List<String> POSITIVE_FILTERS = List.of("perc_pos", "margin_pos", "none");

    /** Allowed values of {@code sampling}. */
    public static final List<String> SAMPLINGS = List.of("top", "random");

    /** Largest block size accepted; beyond it one task would hold gigabytes. */
    public static final int BLOCK_LIMIT = 1 << 16;

    private static final Check CHECK = Check.under(StageId.MINE_DENSE.settingsKey());

    public DenseParams {
        encoder = requireNonNullElse(encoder, EncoderConfig.defaults());
        negatives =
                (int)
                        CHECK.inRange(
                                NEGATIVES,
                                requireNonNullElse(negatives, NEGATIVES_DEFAULT),
                                1,
                                1000);
        rangeMin = requireNonNullElse(rangeMin, RANGE_MIN_DEFAULT);
        CHECK.that(rangeMin >= 1, RANGE_MIN, rangeMin, "must be >= 1 (ranks are 1-based)");
        rangeMax = requireNonNullElse(rangeMax, RANGE_MAX_DEFAULT);
        CHECK.that(rangeMax > rangeMin, RANGE_MAX, rangeMax, "must be > range_min=" + rangeMin);
        CHECK.that(rangeMax <= 100_000, RANGE_MAX, rangeMax, "must be <= 100000");
        maxRange = requireNonNullElse(maxRange, Math.max(MAX_RANGE_DEFAULT, rangeMax));
        CHECK.that(
                maxRange >= rangeMax && maxRange <= 100_000,
                MAX_RANGE,
                maxRange,
                "must be in [range_max=" + rangeMax + ", 100000]");
        checkScores(scoreFloor, scoreCeiling);
        positiveFilter =
                CHECK.oneOf(
                        POSITIVE_FILTER,
                        requireNonNullElse(positiveFilter, POSITIVE_FILTER_DEFAULT),
                        POSITIVE_FILTERS);
        percPos = requireNonNullElse(percPos, PERC_POS_DEFAULT);
        CHECK.that(percPos > 0 && percPos <= 1, PERC_POS, percPos, "must be in (0, 1]");
        marginPos =
                CHECK.inRange(MARGIN_POS, requireNonNullElse(marginPos, MARGIN_POS_DEFAULT), 0, 2);
        sampling = CHECK.oneOf(SAMPLING, requireNonNullElse(sampling, SAMPLING_DEFAULT), SAMPLINGS);
        seed = requireNonNullElse(seed, PipelineConfig.SEED_DEFAULT);
        queryBlock =
                (int)
                        CHECK.inRange(
                                QUERY_BLOCK,
                                requireNonNullElse(queryBlock, QUERY_BLOCK_DEFAULT),
                                1,
                                BLOCK_LIMIT);
        corpusBlock =
                (int)
                        CHECK.inRange(
                                CORPUS_BLOCK,
                                requireNonNullElse(corpusBlock, CORPUS_BLOCK_DEFAULT),
                                1,
                                BLOCK_LIMIT);
        maxTextChars =
                (int)
                        CHECK.atLeast(
                                MAX_TEXT_CHARS,
                                requireNonNullElse(maxTextChars, MAX_TEXT_CHARS_DEFAULT),
                                1);
        encodeChunk =
                (int)
                        CHECK.inRange(
                                ENCODE_CHUNK,
                                requireNonNullElse(encodeChunk, ENCODE_CHUNK_DEFAULT),
                                1,
                                1 << 20);
        scoringThreads = requireNonNullElse(scoringThreads, 0);
        CHECK.that(
                scoringThreads >= 0 && scoringThreads <= 1024,
                SCORING_THREADS,
                scoringThreads,
                "must be in [0, 1024] (0 = all cores)");
    }

    private static void checkScores(Double floor, Double ceiling) {
        CHECK.that(
                floor == null || Double.isFinite(floor),
                SCORE_FLOOR,
                floor,
                "must be finite (or absent)");
        CHECK.that(
                ceiling == null || Double.isFinite(ceiling),
                SCORE_CEILING,
                ceiling,
                "must be finite (or absent)");
        CHECK.that(
                floor == null || ceiling == null || ceiling > floor,
                SCORE_CEILING,
                ceiling,
                "must be > score_floor=" + floor);
    }

    /**
     * Every default: embedded E5, 7 negatives from ranks [1, 50] (widened up to 1000 when the
     * filters leave fewer), TopK-PercPos 0.95, top.
     */
    public static DenseParams defaults() {
        return Settings.defaults(DenseParams.class);
    }
}
