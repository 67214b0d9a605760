package io.embedforge.train.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsFile;
import java.io.Closeable;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compares the DJL model with the Hugging Face / PEFT / PyTorch reference outputs written by {@code
 * scripts/reference/make_fixtures.py} (float32, tolerance 1e-4).
 */
class ReferenceFixturesTest {

    static final float TOL = 1e-4f;
    static final LoraConfig LORA = new LoraConfig(8, 16, 0.1, Set.copyOf(LoraConfig.ALL_TARGETS));
    static final LatentAttentionConfig LATENT = new LatentAttentionConfig(16, 64, 8, 8, 4, true);

    static Path fixtures;
    static MistralConfig config;
    static SafetensorsFile expected;
    static NDManager manager;
    static NDArray ids;
    static NDArray mask;
    static NDArray pool;

    @BeforeAll
    static void setUp() throws IOException, URISyntaxException {
        fixtures =
                Path.of(ReferenceFixturesTest.class.getResource("/fixtures/config.json").toURI())
                        .getParent();
        config = MistralConfig.read(fixtures.resolve("config.json"));
        expected = SafetensorsFile.open(fixtures.resolve("expected.safetensors"));
        manager = NDManager.newBaseManager();
        ids =
                expected.toNDArray(manager, "input_ids", DataType.FLOAT32)
                        .toType(DataType.INT64, false);
        mask = expected.toNDArray(manager, "attention_mask", DataType.FLOAT32);
        pool = expected.toNDArray(manager, "pool_mask", DataType.FLOAT32);
    }

    @AfterAll
    static void tearDown() throws IOException {
        manager.close();
        expected.close();
    }

    /**
     * Builds a model from the fixture base checkpoint plus, optionally, the fixture adapter/head.
     */
    static NvEmbedModel load(NDManager m, NvEmbedModel model, Path trainable) throws IOException {
        ModelWeights.seedAll(model, 1);
        try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(fixtures)) {
            ModelWeights.loadBase(model, base, DataType.FLOAT32);
            if (trainable != null) {
                Closeable files = ModelWeights.loadTrainable(model, trainable);
                try {
                    ModelWeights.initialize(model, m);
                } finally {
                    files.close();
                }
            } else {
                ModelWeights.initialize(model, m);
            }
        }
        return model;
    }

    static void assertClose(String name, NDArray actual, NDArray mask) throws IOException {
        float[] want = expected.readFloats(name);
        long[] shape = expected.info(name).shape();
        assertArrayEquals(shape, actual.getShape().getShape(), name + " shape");
        float[] got = actual.toType(DataType.FLOAT32, false).toFloatArray();
        float[] valid = mask == null ? null : mask.toFloatArray();
        long perRow = shape.length == 3 ? shape[2] : shape[shape.length - 1];
        float worst = 0;
        for (int i = 0; i < got.length; i++) {
            if (valid != null && valid[(int) (i / perRow)] == 0) {
                continue; // padding positions are not compared
            }
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        assertTrue(worst <= TOL, name + ": max |diff| = " + worst);
    }

    @Test
    void lastHiddenStatesMatchTransformersBidirectional() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            NvEmbedModel model =
                    new NvEmbedModel(
                            config, null, AttentionMaskMode.BIDIRECTIONAL, PoolingMode.MEAN, null);
            load(m, model, null);
            NDArray h =
                    model.decoder()
                            .forward(new ParameterStore(m, false), new NDList(ids, mask), false)
                            .singletonOrThrow();
            assertClose("hidden_base", h, mask);
        }
    }

    @Test
    void huggingFaceFolderLoadsThroughTheFactory() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            io.embedforge.train.ModelSpec spec =
                    new io.embedforge.train.ModelSpec(
                            null, AttentionMaskMode.BIDIRECTIONAL, PoolingMode.MEAN, null);
            NvEmbedModel model =
                    io.embedforge.train.NvEmbedModels.fromHuggingFace(
                            m, fixtures, spec, DataType.FLOAT32, 1);
            NDArray h =
                    model.decoder()
                            .forward(new ParameterStore(m, false), new NDList(ids, mask), false)
                            .singletonOrThrow();
            assertClose("hidden_base", h, mask);
        }
    }

    @Test
    void causalModeMatchesTransformersCausal() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            NvEmbedModel model =
                    new NvEmbedModel(
                            config, null, AttentionMaskMode.CAUSAL, PoolingMode.MEAN, null);
            load(m, model, null);
            NDArray h =
                    model.decoder()
                            .forward(new ParameterStore(m, false), new NDList(ids, mask), false)
                            .singletonOrThrow();
            assertClose("hidden_base_causal", h, mask);
        }
    }

    @Test
    void loraOutputsAndLatentPoolingMatchPeftAndReference() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            NvEmbedModel model =
                    new NvEmbedModel(
                            config,
                            LORA,
                            AttentionMaskMode.BIDIRECTIONAL,
                            PoolingMode.LATENT_ATTENTION,
                            LATENT);
            load(m, model, fixtures.resolve("adapter"));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray h =
                    model.decoder().forward(ps, new NDList(ids, mask), false).singletonOrThrow();
            assertClose("hidden_lora", h, mask);
            NDArray e = model.forward(ps, new NDList(ids, mask, pool), false).singletonOrThrow();
            assertClose("emb_latent", e, null);
        }
    }

    @Test
    void meanAndLastTokenPoolingMatchReference() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            NDArray h = expected.toNDArray(m, "hidden_lora", DataType.FLOAT32);
            assertClose("emb_mean", Pooling.l2Normalize(Pooling.maskedMean(h, pool)), null);
            assertClose("emb_last", Pooling.l2Normalize(Pooling.lastToken(h, mask)), null);
        }
    }

    @Test
    void plainGeluLatentHeadMatchesReference() throws IOException {
        try (NDManager m = manager.newSubManager();
                SafetensorsCheckpoint head =
                        SafetensorsCheckpoint.open(fixtures.resolve("latent_gelu.safetensors"))) {
            LatentAttentionConfig c = new LatentAttentionConfig(16, 64, 8, 8, 4, false);
            LatentAttentionPooling pooler = new LatentAttentionPooling(64, c);
            pooler.getParameters()
                    .values()
                    .forEach(
                            p ->
                                    p.setInitializer(
                                            (mm, s, t) -> {
                                                try {
                                                    return head.load(
                                                            mm,
                                                            p.getName(),
                                                            s.getShape(),
                                                            DataType.FLOAT32);
                                                } catch (IOException ex) {
                                                    throw new java.io.UncheckedIOException(ex);
                                                }
                                            }));
            pooler.initialize(m, DataType.FLOAT32, new Shape(1, 1, 64));
            NDArray h = expected.toNDArray(m, "hidden_lora", DataType.FLOAT32);
            NDArray e =
                    pooler.forward(new ParameterStore(m, false), new NDList(h, pool), false)
                            .singletonOrThrow();
            assertClose("emb_latent_gelu", e, null);
        }
    }

    @Test
    void torchWrittenBf16IsReadExactlyAndNeverReachesDjlAsBf16() throws IOException {
        try (SafetensorsFile bf16 = SafetensorsFile.open(fixtures.resolve("bf16.safetensors"));
                SafetensorsFile want =
                        SafetensorsFile.open(fixtures.resolve("bf16_expected.safetensors"));
                NDManager m = manager.newSubManager()) {
            for (String name : bf16.names()) {
                assertEquals(
                        io.embedforge.train.weights.SafetensorsDType.BF16, bf16.info(name).dtype());
                assertArrayEquals(want.readFloats(name), bf16.readFloats(name), name);
                NDArray a = bf16.toNDArray(m, name, DataType.FLOAT16);
                assertEquals(DataType.FLOAT16, a.getDataType());
                assertArrayEquals(
                        want.readFloats(name),
                        a.toType(DataType.FLOAT32, false).toFloatArray(),
                        1e-2f);
            }
        }
    }
}
