package io.embedforge.train.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import io.embedforge.train.ModelSpec;
import io.embedforge.train.NvEmbedModels;
import io.embedforge.train.weights.SafetensorsFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A tiny random {@code LlamaForCausalLM} saved by transformers 5 ({@code make_fixtures.py --only
 * llama}): tied embeddings (no {@code lm_head} in the file), {@code head_dim} 16 while hidden /
 * heads = 12, {@code rms_norm_eps} 1e-6, {@code rope_theta} 1e5 only inside {@code
 * rope_parameters}. The Java decoder's last hidden states must equal transformers' in both mask
 * modes (float32, 1e-4).
 */
class LlamaFixturesTest {

    static Path fixtures() throws URISyntaxException {
        return Path.of(LlamaFixturesTest.class.getResource("/fixtures-llama/config.json").toURI())
                .getParent();
    }

    @ParameterizedTest
    @EnumSource(AttentionMaskMode.class)
    void lastHiddenStatesMatchTransformers(AttentionMaskMode mode)
            throws IOException, URISyntaxException {
        Path dir = fixtures();
        MistralConfig c = MistralConfig.read(dir.resolve("config.json"));
        assertEquals(DecoderFamily.LLAMA, c.family());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(16, c.headDim());
        assertEquals(1e5, c.ropeTheta());
        assertEquals(1e-6, c.rmsNormEps());
        String name = mode == AttentionMaskMode.CAUSAL ? "hidden_base_causal" : "hidden_base";
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsFile expected =
                        SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            NDArray ids =
                    expected.toNDArray(m, "input_ids", DataType.FLOAT32)
                            .toType(DataType.INT64, false);
            NDArray mask = expected.toNDArray(m, "attention_mask", DataType.FLOAT32);
            NvEmbedModel model =
                    NvEmbedModels.fromHuggingFace(
                            m,
                            dir,
                            new ModelSpec(null, mode, PoolingMode.MEAN, null),
                            DataType.FLOAT32,
                            1);
            NDArray h =
                    model.decoder()
                            .forward(new ParameterStore(m, false), new NDList(ids, mask), false)
                            .singletonOrThrow();
            long[] shape = expected.info(name).shape();
            assertArrayEquals(shape, h.getShape().getShape());
            float[] want = expected.readFloats(name);
            float[] got = h.toFloatArray();
            float[] valid = mask.toFloatArray();
            float worst = 0;
            for (int i = 0; i < got.length; i++) {
                if (valid[(int) (i / shape[2])] != 0) {
                    worst = Math.max(worst, Math.abs(got[i] - want[i]));
                }
            }
            assertTrue(worst <= 1e-4f, name + ": max |diff| = " + worst);
            System.out.printf("llama fixture %s: max |diff| %.3g%n", name, worst);
        }
    }
}
