package io.embedforge.pipeline.dense;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.embedforge.encoder.Pooling;
import io.embedforge.pipeline.stage.Settings;
import org.junit.jupiter.api.Test;

/** Defaults, YAML binding and one message per illegal value. */
class DenseParamsTest {
    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void defaultsFollowNvEmbedV2() {
        DenseParams p = DenseParams.defaults();
        assertEquals(7, p.negatives());
        assertEquals(1, p.rangeMin());
        assertEquals(50, p.rangeMax());
        assertEquals("perc_pos", p.positiveFilter());
        assertEquals(0.95, p.percPos());
        assertEquals("top", p.sampling());
        assertEquals("query: ", p.encoder().queryPrefix());
        assertEquals(384, p.encoder().dimension());
    }

    @Test
    void bindsSnakeCaseYaml() throws Exception {
        String yaml =
                "range_min: 3\nrange_max: 40\nsampling: random\nseed: 9\n"
                        + "encoder:\n  batch_size: 16\n  pooling: cls\n";
        DenseParams p = new ObjectMapper(new YAMLFactory()).readValue(yaml, DenseParams.class);
        assertEquals(3, p.rangeMin());
        assertEquals(40, p.rangeMax());
        assertEquals("random", p.sampling());
        assertEquals(9L, p.seed());
        assertEquals(16, p.encoder().batchSize());
        assertEquals(Pooling.CLS, p.encoder().pooling());
        assertEquals(7, p.negatives());
    }

    @Test
    void illegalValuesAreNamed() {
        assertEquals(
                "stages.mine-dense.range_max=5 must be > range_min=10",
                error(
                        () ->
                                Settings.with(
                                        DenseParams.defaults(),
                                        DenseParams.RANGE_MIN,
                                        10,
                                        DenseParams.RANGE_MAX,
                                        5)));
        assertEquals(
                "stages.mine-dense.range_min=0 must be >= 1 (ranks are 1-based)",
                error(
                        () ->
                                Settings.with(
                                        DenseParams.defaults(),
                                        DenseParams.RANGE_MIN,
                                        0,
                                        DenseParams.RANGE_MAX,
                                        5)));
        assertEquals(
                "stages.mine-dense.negatives=0 must be in [1, 1000]",
                error(() -> Settings.with(DenseParams.defaults(), DenseParams.NEGATIVES, 0)));
        assertEquals(
                "stages.mine-dense.perc_pos=1.5 must be in (0, 1]",
                error(() -> Settings.with(DenseParams.defaults(), DenseParams.PERC_POS, 1.5)));
        assertEquals(
                "stages.mine-dense.margin_pos=-0.1 must be in [0, 2]",
                error(() -> Settings.with(DenseParams.defaults(), DenseParams.MARGIN_POS, -0.1)));
        assertEquals(
                "stages.mine-dense.positive_filter=perc must be one of [perc_pos, margin_pos, none]",
                error(
                        () ->
                                Settings.with(
                                        DenseParams.defaults(),
                                        DenseParams.POSITIVE_FILTER,
                                        "perc")));
        assertEquals(
                "stages.mine-dense.sampling=best must be one of [top, random]",
                error(() -> Settings.with(DenseParams.defaults(), DenseParams.SAMPLING, "best")));
        assertEquals(
                "stages.mine-dense.score_ceiling=0.1 must be > score_floor=0.5",
                error(
                        () ->
                                Settings.with(
                                        DenseParams.defaults(),
                                        DenseParams.SCORE_FLOOR,
                                        0.5,
                                        DenseParams.SCORE_CEILING,
                                        0.1)));
        assertEquals(
                "stages.mine-dense.query_block=0 must be in [1, 65536]",
                error(
                        () ->
                                Settings.with(
                                        DenseParams.defaults(),
                                        DenseParams.QUERY_BLOCK,
                                        0,
                                        DenseParams.CORPUS_BLOCK,
                                        10)));
        assertEquals(
                "stages.mine-dense.corpus_block=70000 must be in [1, 65536]",
                error(
                        () ->
                                Settings.with(
                                        DenseParams.defaults(),
                                        DenseParams.QUERY_BLOCK,
                                        10,
                                        DenseParams.CORPUS_BLOCK,
                                        70000)));
        assertEquals(
                "stages.mine-dense.max_range=40 must be in [range_max=50, 100000]",
                error(() -> Settings.with(DenseParams.defaults(), DenseParams.MAX_RANGE, 40)));
        assertEquals(1000, DenseParams.defaults().maxRange());
        assertEquals(
                "stages.mine-dense.max_text_chars=0 must be >= 1",
                error(() -> Settings.with(DenseParams.defaults(), DenseParams.MAX_TEXT_CHARS, 0)));
    }
}
