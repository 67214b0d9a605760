package io.embedforge.pipeline.bm25;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class Bm25ParamsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void bindsSnakeCaseKeysAndDefaultsTheRest() throws Exception {
        Bm25Params p =
                YAML.readValue(
                        "k1: 0.9\nb: 0.4\nnum_shards: 3\nanalyzer: standard\npool_splits: [train, dev]\n",
                        Bm25Params.class);
        assertEquals(0.9, p.k1());
        assertEquals(0.4, p.b());
        assertEquals(3, p.numShards());
        assertEquals("standard", p.analyzer());
        assertEquals(List.of("train", "dev"), p.poolSplits());
        assertEquals(Bm25Params.MIN_SCORE_DEFAULT, p.minScore());
        assertEquals(Bm25Params.EXCLUDE_ABOVE_DEFAULT, p.excludeAbove());
        assertEquals(7, p.negatives());
        assertEquals(2, p.minRank());
        assertEquals(List.of("train"), p.exampleSplits());
        assertEquals(Bm25Params.defaults(), YAML.readValue("{}", Bm25Params.class));
    }

    @Test
    void rejectsNegativeK1() {
        assertMessage("stages.mine-bm25.k1=-1.0 must be finite and >= 0", "k1: -1.0");
    }

    @Test
    void rejectsBOutsideUnitInterval() {
        assertMessage("stages.mine-bm25.b=1.5 must be in [0, 1]", "b: 1.5");
    }

    @Test
    void rejectsUnknownAnalyzer() {
        assertMessage(
                "stages.mine-bm25.analyzer=klingon must be one of [english, standard]",
                "analyzer: klingon");
    }

    @Test
    void rejectsZeroShards() {
        assertMessage("stages.mine-bm25.num_shards=0 must be in [1, 4096]", "num_shards: 0");
    }

    @Test
    void rejectsScoresOffTheScale() {
        assertMessage("stages.mine-bm25.min_score=6.0 must be in [0, 5]", "min_score: 6.0");
        assertMessage(
                "stages.mine-bm25.exclude_above=-0.5 must be in [0, 5]", "exclude_above: -0.5");
    }

    @Test
    void rejectsBadCounts() {
        assertMessage("stages.mine-bm25.negatives=0 must be in [1, 64]", "negatives: 0");
        assertMessage("stages.mine-bm25.min_rank=0 must be >= 1", "min_rank: 0");
        assertMessage(
                "stages.mine-bm25.pool_splits=[] must name at least one split", "pool_splits: []");
    }

    private static void assertMessage(String expected, String yaml) {
        Exception e = assertThrows(Exception.class, () -> YAML.readValue(yaml, Bm25Params.class));
        Throwable cause = e;
        while (!(cause instanceof IllegalArgumentException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        assertEquals(expected, cause.getMessage());
    }
}
