package io.embedforge.pipeline.dense;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.embedforge.encoder.Pooling;
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
                "mining.range_max=5 must be > range_min=10",
                error(() -> DenseParams.builder().range(10, 5).build()));
        assertEquals(
                "mining.range_min=0 must be >= 1 (ranks are 1-based)",
                error(() -> DenseParams.builder().range(0, 5).build()));
        assertEquals(
                "mining.negatives=0 must be in [1, 1000]",
                error(() -> DenseParams.builder().negatives(0).build()));
        assertEquals(
                "mining.perc_pos=1.5 must be in (0, 1]",
                error(() -> DenseParams.builder().percPos(1.5).build()));
        assertEquals(
                "mining.margin_pos=-0.1 must be in [0, 2]",
                error(() -> DenseParams.builder().marginPos(-0.1).build()));
        assertEquals(
                "mining.positive_filter=perc must be one of [perc_pos, margin_pos, none]",
                error(() -> DenseParams.builder().positiveFilter("perc").build()));
        assertEquals(
                "mining.sampling=best must be one of [top, random]",
                error(() -> DenseParams.builder().sampling("best").build()));
        assertEquals(
                "mining.score_ceiling=0.1 must be > score_floor=0.5",
                error(() -> DenseParams.builder().scoreFloor(0.5).scoreCeiling(0.1).build()));
        assertEquals(
                "mining.query_block=0 must be in [1, 65536]",
                error(() -> DenseParams.builder().blocks(0, 10).build()));
        assertEquals(
                "mining.corpus_block=70000 must be in [1, 65536]",
                error(() -> DenseParams.builder().blocks(10, 70000).build()));
        assertEquals(
                "mining.max_text_chars=0 must be >= 1",
                error(() -> DenseParams.builder().maxTextChars(0).build()));
    }
}
