package io.embedforge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.DecoderFamily;
import io.embedforge.train.model.LatentAttentionConfig;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SeededInitializer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariants of the whole model on a small seeded configuration, and the save/load round trip. */
class NvEmbedModelTest {

    static final MistralConfig SMALL =
            new MistralConfig(
                    32, 64, 2, 4, 2, 8, 1e-5, 1e4, 50, 1, 2, DecoderFamily.MISTRAL, false);
    static final LoraConfig LORA = new LoraConfig(4, 8, 0.1, Set.copyOf(LoraConfig.ALL_TARGETS));
    static final LatentAttentionConfig LATENT = new LatentAttentionConfig(8, 32, 2, 16, 4, true);

    @TempDir Path dir;

    static NvEmbedModel small(NDManager m, AttentionMaskMode mode, long seed, boolean nonZeroB)
            throws IOException {
        NvEmbedModel model =
                new NvEmbedModel(SMALL, LORA, mode, PoolingMode.LATENT_ATTENTION, LATENT);
        ModelWeights.seedAll(model, seed);
        if (nonZeroB) {
            for (Parameter p : model.getParameters().values()) {
                if (p.getName().contains("lora_B")) {
                    p.setInitializer(
                            new SeededInitializer(
                                    SeededInitializer.Kind.NORMAL, 0.1, seed, p.getName()));
                }
            }
        }
        ModelWeights.initialize(model, m);
        return model;
    }

    static NDList batch(NDManager m, long[] ids, long[] mask, long[] pool, int rows) {
        Shape s = new Shape(rows, ids.length / rows);
        return new NDList(m.create(ids, s), m.create(mask, s), m.create(pool, s));
    }

    static NDArray hidden(NvEmbedModel model, NDManager m, NDList in) {
        return model.decoder()
                .forward(new ParameterStore(m, false), new NDList(in.get(0), in.get(1)), false)
                .singletonOrThrow();
    }

    @Test
    void paddingContentDoesNotChangeAnything() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = small(m, AttentionMaskMode.BIDIRECTIONAL, 3, true);
            long[] mask = {1, 1, 1, 1, 0, 0};
            long[] pool = {0, 1, 1, 1, 0, 0};
            NDList a = batch(m, new long[] {1, 7, 8, 2, 0, 0}, mask, pool, 1);
            NDList b = batch(m, new long[] {1, 7, 8, 2, 33, 44}, mask, pool, 1);
            ParameterStore ps = new ParameterStore(m, false);
            float[] ea = model.forward(ps, a, false).singletonOrThrow().toFloatArray();
            float[] eb = model.forward(ps, b, false).singletonOrThrow().toFloatArray();
            assertArrayEquals(ea, eb, 1e-6f);
            float norm = 0;
            for (float v : ea) {
                norm += v * v;
            }
            assertEquals(1f, norm, 1e-5f);
        }
    }

    @Test
    void bidirectionalSeesLaterTokensAndCausalDoesNot() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            long[] mask = {1, 1, 1, 1};
            NDList a = batch(m, new long[] {1, 7, 8, 2}, mask, mask, 1);
            NDList b = batch(m, new long[] {1, 7, 9, 2}, mask, mask, 1);
            for (AttentionMaskMode mode : AttentionMaskMode.values()) {
                NvEmbedModel model = small(m, mode, 5, true);
                NDArray ha = hidden(model, m, a).get("0, 1");
                NDArray hb = hidden(model, m, b).get("0, 1");
                boolean same = ha.allClose(hb, 0, 0, false);
                assertEquals(mode == AttentionMaskMode.CAUSAL, same, mode.name());
            }
        }
    }

    @Test
    void instructionTokensAreNotPooled() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = small(m, AttentionMaskMode.BIDIRECTIONAL, 9, true);
            NDArray h = m.randomNormal(new Shape(1, 4, 32));
            NDArray h2 = h.duplicate();
            h2.set(new ai.djl.ndarray.index.NDIndex("0, 0:2"), 5f);
            NDArray pool = m.create(new float[] {0, 0, 1, 1}, new Shape(1, 4));
            ParameterStore ps = new ParameterStore(m, false);
            float[] e1 =
                    model.latentHead()
                            .forward(ps, new NDList(h, pool), false)
                            .singletonOrThrow()
                            .toFloatArray();
            float[] e2 =
                    model.latentHead()
                            .forward(ps, new NDList(h2, pool), false)
                            .singletonOrThrow()
                            .toFloatArray();
            assertArrayEquals(e1, e2, 1e-6f);
        }
    }

    @Test
    void gradientsReachOnlyTrainableParameters() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = small(m, AttentionMaskMode.BIDIRECTIONAL, 11, true);
            long[] mask = {1, 1, 1, 1, 1, 1, 1, 0};
            NDList in = batch(m, new long[] {1, 7, 8, 2, 1, 9, 2, 0}, mask, mask, 2);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray e =
                        model.forward(new ParameterStore(m, false), in, true).singletonOrThrow();
                gc.backward(e.get("0").mul(e.get("1")).sum());
            }
            int trainable = 0;
            for (Parameter p : model.getParameters().values()) {
                if (p.requiresGradient()) {
                    trainable++;
                    float g = p.getArray().getGradient().abs().sum().getFloat();
                    assertTrue(g > 0, "no gradient for " + p.getName());
                } else {
                    assertFalse(p.getArray().hasGradient(), p.getName());
                }
            }
            // 2 layers x 7 projections x (A, B) + latent head (latents, 3 LN x 2, to_q/kv/out, ff
            // 4)
            assertEquals(28 + 14, trainable);
        }
    }

    @Test
    void trainableParametersRoundTripThroughPeftAndNvEmbedFiles() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel saved = small(m, AttentionMaskMode.BIDIRECTIONAL, 21, true);
            ModelWeights.saveTrainable(saved, dir, "tiny-test");
            String config =
                    Files.readString(
                            dir.resolve(ModelWeights.ADAPTER_CONFIG), StandardCharsets.UTF_8);
            assertTrue(config.contains("\"peft_type\" : \"LORA\""), config);
            assertTrue(config.contains("\"r\" : 4"), config);
            assertTrue(config.contains("\"lora_alpha\" : 8.0"), config);
            try (io.embedforge.train.weights.SafetensorsFile f =
                    io.embedforge.train.weights.SafetensorsFile.open(
                            dir.resolve(ModelWeights.ADAPTER_FILE))) {
                assertTrue(
                        f.contains(
                                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
            }

            NvEmbedModel loaded =
                    new NvEmbedModel(
                            SMALL,
                            LORA,
                            AttentionMaskMode.BIDIRECTIONAL,
                            PoolingMode.LATENT_ATTENTION,
                            LATENT);
            ModelWeights.seedAll(loaded, 21); // same base, different trainables until loaded
            Closeable files = ModelWeights.loadTrainable(loaded, dir);
            try {
                ModelWeights.initialize(loaded, m);
            } finally {
                files.close();
            }
            var a = saved.getParameters().values();
            var b = loaded.getParameters().values();
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i).getName(), b.get(i).getName());
                assertArrayEquals(
                        a.get(i).getArray().toFloatArray(),
                        b.get(i).getArray().toFloatArray(),
                        a.get(i).getName());
            }
            long[] mask = {1, 1, 1, 1};
            NDList in = batch(m, new long[] {1, 3, 4, 2}, mask, mask, 1);
            ParameterStore ps = new ParameterStore(m, false);
            assertArrayEquals(
                    saved.forward(ps, in, false).singletonOrThrow().toFloatArray(),
                    loaded.forward(ps, in, false).singletonOrThrow().toFloatArray());
        }
    }

    @Test
    void tinyDefaultModelEmbedsTokenizedText() throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                io.embedforge.train.tokenize.NvEmbedTokenizer tok =
                        io.embedforge.train.tokenize.NvEmbedTokenizer.e5(
                                MistralConfig.tiny(), 64)) {
            NvEmbedModel model = NvEmbedModels.tiny(m, ModelSpec.nvEmbed(), 42);
            var batch =
                    tok.encode(
                            java.util.List.of(
                                    io.embedforge.train.tokenize.EmbeddingInput.query(
                                            "Given a question, retrieve passages",
                                            "what is a llama?"),
                                    io.embedforge.train.tokenize.EmbeddingInput.document(
                                            "The llama is a domesticated camelid.")));
            NDArray e =
                    model.forward(new ParameterStore(m, false), batch.toNDList(m), false)
                            .singletonOrThrow();
            assertArrayEquals(new long[] {2, 256}, e.getShape().getShape());
            float[] again =
                    NvEmbedModels.tiny(m, ModelSpec.nvEmbed(), 42)
                            .forward(new ParameterStore(m, false), batch.toNDList(m), false)
                            .singletonOrThrow()
                            .toFloatArray();
            assertArrayEquals(e.toFloatArray(), again, "same seed, same model");
            assertEquals(DataType.FLOAT32, e.getDataType());
        }
    }
}
