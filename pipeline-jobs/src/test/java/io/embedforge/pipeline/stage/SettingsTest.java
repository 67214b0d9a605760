package io.embedforge.pipeline.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.embedforge.pipeline.blend.BlendParams;
import io.embedforge.pipeline.bm25.Bm25Params;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.decontam.DecontamParams;
import io.embedforge.pipeline.dense.DenseParams;
import io.embedforge.pipeline.labels.LabelParams;
import io.embedforge.pipeline.report.ReportParams;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The one binder: full keys in every message (nested records and map entries included), unknown and
 * renamed keys named, explicit nulls take the default, and one seed rule for every stage.
 */
class SettingsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static <P> P bind(StageId stage, String yaml, Class<P> type, Long seed)
            throws Exception {
        JsonNode node = YAML.readTree(yaml);
        return Settings.bind("p.yaml", stage.settingsKey(), node, type, seed);
    }

    private static String error(StageId stage, String yaml, Class<?> type) {
        return assertThrows(ConfigException.class, () -> bind(stage, yaml, type, 1L)).getMessage();
    }

    @Test
    void messagesNameTheFullKeyTheValueAndTheRule() {
        assertEquals(
                "p.yaml: stages.mine-dense.negatives=0 must be in [1, 1000]",
                error(StageId.MINE_DENSE, "negatives: 0", DenseParams.class));
        assertEquals(
                "p.yaml: stages.mine-dense.encoder.max_length=1 must be in [2, 32768]",
                error(StageId.MINE_DENSE, "encoder: {max_length: 1}", DenseParams.class));
        assertEquals(
                "p.yaml: stages.mine-dense.encoder.precision=int4 must be one of [fp32, int8]",
                error(StageId.MINE_DENSE, "encoder: {precision: int4}", DenseParams.class));
        assertEquals(
                "p.yaml: stages.label-negatives.sources.arxiv.targets=[body] must be a non-empty"
                        + " subset of [title, abstract]",
                error(
                        StageId.LABEL_NEGATIVES,
                        "sources: {arxiv: {targets: [body]}}",
                        LabelParams.class));
        assertEquals(
                "p.yaml: stages.blend.sources.nq.weight=2.0 must be in (0, 1]",
                error(StageId.BLEND, "sources: {nq: {weight: 2.0}}", BlendParams.class));
        assertEquals(
                "p.yaml: stages.decontaminate.near_duplicates.emotion.ngram=9 must be in [1, 5]",
                error(
                        StageId.DECONTAMINATE,
                        "near_duplicates: {emotion: {ngram: 9}}",
                        DecontamParams.class));
    }

    @Test
    void unknownAndRenamedKeysAreNamedWithWhatIsAllowed() {
        String unknown = error(StageId.MINE_BM25, "num_shard: 3", Bm25Params.class);
        assertEquals(
                "p.yaml: unknown key 'stages.mine-bm25.num_shard'; allowed here: [analyzer, b,"
                        + " example_splits, exclude_above, k1, min_rank, min_score, negatives,"
                        + " num_shards, pool_splits]",
                unknown);
        assertEquals(
                "p.yaml: key 'stages.blend.max_negatives' was renamed to 'negatives'",
                error(StageId.BLEND, "max_negatives: 5", BlendParams.class));
        String nested = error(StageId.MINE_DENSE, "encoder: {batchsize: 8}", DenseParams.class);
        assertEquals(
                true,
                nested.startsWith("p.yaml: unknown key 'stages.mine-dense.encoder.batchsize'"),
                nested);
        assertEquals(
                "p.yaml: key 'stages.mine-bm25.negatives' = 'many' is not allowed; allowed: an"
                        + " integer",
                error(StageId.MINE_BM25, "negatives: many", Bm25Params.class));
        assertEquals(
                "p.yaml: key 'stages.report' = '[1]' is not allowed; allowed: a map of settings",
                error(StageId.REPORT, "[1]", ReportParams.class));
    }

    @Test
    void integersRejectFractionsAndValuesBeyondTheirType() {
        String fraction = error(StageId.MINE_DENSE, "negatives: 7.9", DenseParams.class);
        assertEquals(
                "p.yaml: key 'stages.mine-dense.negatives' = '7.9' is not allowed; allowed: an"
                        + " integer",
                fraction);
        String nested =
                error(StageId.MINE_DENSE, "encoder: {max_length: 128.5}", DenseParams.class);
        assertTrue(nested.contains("stages.mine-dense.encoder.max_length"), nested);
        String huge = error(StageId.MINE_BM25, "num_shards: 17592186044416", Bm25Params.class);
        assertTrue(
                huge.contains("stages.mine-bm25.num_shards") && huge.contains("17592186044416"),
                huge);
        assertThrows(
                IllegalArgumentException.class,
                () -> Settings.with(Bm25Params.defaults(), Bm25Params.NUM_SHARDS, 2.5));
    }

    @Test
    void unknownStageNamesAreRejectedNamingTheStages() throws Exception {
        for (String typo : List.of("mine_dense", "deduplicate")) {
            PipelineConfig config =
                    new PipelineConfig(
                            "p",
                            "p.yaml",
                            1,
                            Map.of(),
                            1,
                            List.of(),
                            YAML.readTree(typo + ": {negatives: 3}\nblend: {}"),
                            null);
            String msg =
                    assertThrows(ConfigException.class, () -> Settings.checkStageNames(config))
                            .getMessage();
            assertTrue(
                    msg.startsWith("p.yaml: unknown stage 'stages." + typo + "'")
                            && msg.endsWith("stages: " + StageId.names()),
                    msg);
        }
        PipelineConfig ok =
                new PipelineConfig(
                        "p", "p.yaml", 1, Map.of(), 1, List.of(), YAML.readTree("blend: {}"), null);
        Settings.checkStageNames(ok);
    }

    @Test
    void anExplicitNullTakesTheDefault() throws Exception {
        assertEquals(
                Bm25Params.NUM_SHARDS_DEFAULT,
                bind(StageId.MINE_BM25, "num_shards: null", Bm25Params.class, null).numShards());
    }

    @Test
    void oneSeedRuleTheProfileSeedUnlessTheStageSetsOne() throws Exception {
        assertEquals(9L, bind(StageId.MINE_DENSE, "{}", DenseParams.class, 9L).seed());
        assertEquals(5L, bind(StageId.MINE_DENSE, "seed: 5", DenseParams.class, 9L).seed());
        assertEquals(9L, bind(StageId.LABEL_NEGATIVES, "{}", LabelParams.class, 9L).seed());
        assertEquals(9L, bind(StageId.BLEND, "{}", BlendParams.class, 9L).seed());
        assertEquals(9L, bind(StageId.REPORT, "{}", ReportParams.class, 9L).seed());
        for (Object p :
                List.of(
                        DenseParams.defaults(),
                        LabelParams.defaults(),
                        BlendParams.defaults(),
                        ReportParams.defaults())) {
            assertEquals(
                    PipelineConfig.SEED_DEFAULT,
                    Settings.mapper().valueToTree(p).get(Settings.SEED).asLong(),
                    p.getClass().getSimpleName());
        }
    }

    @Test
    void withVariesSomeKeysAndChecksThemLikeAProfile() {
        Bm25Params p = Settings.with(Bm25Params.defaults(), Bm25Params.NUM_SHARDS, 5);
        assertEquals(5, p.numShards());
        assertEquals(Bm25Params.defaults().withNumShards(5), p);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Settings.with(Bm25Params.defaults(), Bm25Params.NUM_SHARDS, 0));
        assertEquals("stages.mine-bm25.num_shards=0 must be in [1, 4096]", e.getMessage());
    }
}
