package io.embedforge.train.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each block on tiny tensors whose outputs were worked out by hand. */
class BlocksTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Gives named parameters fixed values, then initialises the block. */
    private void init(Block block, Map<String, float[]> values) {
        for (Parameter p : block.getParameters().values()) {
            float[] v = values.get(p.getName());
            if (v == null) {
                throw new IllegalArgumentException("no test value for " + p.getName());
            }
            p.setInitializer((m, s, t) -> m.create(v, s));
        }
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
    }

    private NDArray run(Block block, NDArray... in) {
        return block.forward(new ParameterStore(manager, false), new NDList(in), false)
                .singletonOrThrow();
    }

    private static void close(float[] want, NDArray got) {
        assertArrayEquals(want, got.toFloatArray(), 1e-5f);
    }

    @Test
    void rmsNormScalesByRootMeanSquare() {
        RmsNorm norm = new RmsNorm("n", 2, 0.0, false);
        init(norm, Map.of("n.weight", new float[] {1, 2}));
        // rms([3, 4]) = sqrt(12.5) = 3.5355339
        close(
                new float[] {0.8485281f, 2.2627417f},
                run(norm, manager.create(new float[] {3, 4}, new Shape(1, 2))));
        assertFalse(norm.getParameters().get(0).getValue().requiresGradient());
    }

    @Test
    void loraAddsScaledLowRankUpdateAndFreezesBase() {
        LoraConfig lora = new LoraConfig(1, 2, 0.1, Set.of("q_proj"));
        LoraLinear lin = new LoraLinear("q_proj", 2, 2, lora);
        init(
                lin,
                Map.of(
                        "q_proj.weight", new float[] {1, 0, 0, 1},
                        "q_proj.lora_A.weight", new float[] {1, 1},
                        "q_proj.lora_B.weight", new float[] {1, 2}));
        // base [1, 2]; A x = 3; B (A x) = [3, 6]; scaling alpha/r = 2 -> [6, 12]
        close(new float[] {7, 14}, run(lin, manager.create(new float[] {1, 2}, new Shape(1, 2))));
        Map<String, Boolean> trainable = new java.util.HashMap<>();
        lin.getParameters().values().forEach(p -> trainable.put(p.getName(), p.requiresGradient()));
        assertEquals(
                Map.of(
                        "q_proj.weight",
                        false,
                        "q_proj.lora_A.weight",
                        true,
                        "q_proj.lora_B.weight",
                        true),
                trainable);
    }

    @Test
    void loraWithZeroBLeavesBaseOutputUnchanged() {
        LoraLinear lin = new LoraLinear("p", 2, 2, new LoraConfig(1, 32, 0.0, Set.of("q_proj")));
        init(
                lin,
                Map.of(
                        "p.weight", new float[] {1, 2, 3, 4},
                        "p.lora_A.weight", new float[] {5, 6},
                        "p.lora_B.weight", new float[] {0, 0}));
        close(new float[] {5, 11}, run(lin, manager.create(new float[] {1, 2}, new Shape(1, 2))));
    }

    @Test
    void rotaryRotatesPairsByPositionTimesFrequency() {
        NDList t = RotaryEmbedding.tables(manager, 2, 2, 10000);
        // head dim 2: one frequency, 1; position 1 rotates by 1 radian
        float c = (float) Math.cos(1);
        float s = (float) Math.sin(1);
        close(new float[] {1, 1, c, c}, t.get(0));
        close(new float[] {0, 0, s, s}, t.get(1));
        NDArray x = manager.create(new float[] {1, 0, 1, 0}, new Shape(2, 2));
        close(new float[] {1, 0, c, s}, RotaryEmbedding.apply(x, t.get(0), t.get(1)));
    }

    @Test
    void attentionWithRotaryAndBothMasks() {
        // One head of width 2, identity projections, tokens x0 = [1, 0], x1 = [0, 1].
        // RoPE: q0 = k0 = [1, 0]; position 1 rotates by 1 rad: q1 = k1 = [-sin 1, cos 1].
        // Scores / sqrt(2): row 0 = [1, -sin 1], row 1 = [-sin 1, 1]; v = x (not rotated).
        MistralConfig c =
                new MistralConfig(
                        2, 2, 1, 1, 1, 2, 1e-5, 1e4, 4, 1, 2, DecoderFamily.MISTRAL, false);
        MistralAttention attn = new MistralAttention("a", c, null);
        float[] eye = {1, 0, 0, 1};
        init(
                attn,
                Map.of(
                        "a.q_proj.weight",
                        eye,
                        "a.k_proj.weight",
                        eye,
                        "a.v_proj.weight",
                        eye,
                        "a.o_proj.weight",
                        eye));
        NDArray x = manager.create(new float[] {1, 0, 0, 1}, new Shape(1, 2, 2));
        NDArray mask = manager.create(new float[] {1, 1}, new Shape(1, 2));
        NDList rope = RotaryEmbedding.tables(manager, 2, 2, 1e4);
        float p = 0.78619099f; // softmax([1, -sin 1] / sqrt 2)[0]
        NDArray bidi =
                run(
                        attn,
                        x,
                        MistralDecoder.maskBias(mask, AttentionMaskMode.BIDIRECTIONAL),
                        rope.get(0),
                        rope.get(1));
        close(new float[] {p, 1 - p, 1 - p, p}, bidi);
        NDArray causal =
                run(
                        attn,
                        x,
                        MistralDecoder.maskBias(mask, AttentionMaskMode.CAUSAL),
                        rope.get(0),
                        rope.get(1));
        close(new float[] {1, 0, 1 - p, p}, causal);
        NDArray padded = manager.create(new float[] {1, 0}, new Shape(1, 2));
        NDArray onlyFirst =
                run(
                        attn,
                        x,
                        MistralDecoder.maskBias(padded, AttentionMaskMode.BIDIRECTIONAL),
                        rope.get(0),
                        rope.get(1));
        close(new float[] {1, 0, 1, 0}, onlyFirst);
    }

    @Test
    void maskBiasIsPaddingOnlyOrPaddingPlusCausal() {
        NDArray mask = manager.create(new float[] {1, 1, 0}, new Shape(1, 3));
        float n = MistralDecoder.MASK_BIAS;
        close(
                new float[] {0, 0, n},
                MistralDecoder.maskBias(mask, AttentionMaskMode.BIDIRECTIONAL));
        close(
                new float[] {0, n, 2 * n, 0, 0, 2 * n, 0, 0, n},
                MistralDecoder.maskBias(mask, AttentionMaskMode.CAUSAL));
    }

    @Test
    void maskedMeanLastTokenAndNormalize() {
        NDArray h = manager.create(new float[] {1, 0, 3, 4, 100, 100}, new Shape(1, 3, 2));
        NDArray mask = manager.create(new float[] {1, 1, 0}, new Shape(1, 3));
        close(new float[] {2, 2}, Pooling.maskedMean(h, mask));
        close(
                new float[] {0.70710677f, 0.70710677f},
                Pooling.l2Normalize(Pooling.maskedMean(h, mask)));
        close(new float[] {3, 4}, Pooling.lastToken(h, mask));
        close(new float[] {0.6f, 0.8f}, Pooling.l2Normalize(Pooling.lastToken(h, mask)));
    }

    @Test
    void geluIsTheExactErfForm() {
        // 0.5 * x * (1 + erf(x / sqrt 2)) at x = 1 and -1 (tanh approximation gives 0.841192)
        close(
                new float[] {0.8413447f, -0.15865526f},
                Activation.gelu(manager.create(new float[] {1, -1})));
    }

    @Test
    void swiGluMlp() {
        MistralConfig c =
                new MistralConfig(
                        1, 1, 1, 1, 1, 2, 1e-5, 1e4, 4, 1, 2, DecoderFamily.MISTRAL, false);
        MistralMlp mlp = new MistralMlp("m", c, null);
        init(
                mlp,
                Map.of(
                        "m.gate_proj.weight",
                        new float[] {2},
                        "m.up_proj.weight",
                        new float[] {3},
                        "m.down_proj.weight",
                        new float[] {0.5f}));
        // x = 1: gate 2 -> silu(2) = 2 * sigmoid(2) = 1.7615942; * up 3 = 5.2847826; * 0.5
        close(new float[] {2.6423913f}, run(mlp, manager.create(new float[] {1}, new Shape(1, 1))));
    }

    @Test
    void latentHeadWithOneLatentAndZeroFeedForward() {
        // One latent: softmax over a single key is 1, so every query receives v exactly.
        LatentAttentionPooling head =
                new LatentAttentionPooling(2, new LatentAttentionConfig(1, 2, 1, 2, 1, true));
        String a = LatentAttentionPooling.PREFIX + "cross_attend_blocks.0.";
        String f = LatentAttentionPooling.PREFIX + "cross_attend_blocks.1.";
        init(
                head,
                Map.ofEntries(
                        Map.entry(LatentAttentionPooling.PREFIX + "latents", new float[] {1, -1}),
                        Map.entry(a + "norm.weight", new float[] {1, 1}),
                        Map.entry(a + "norm.bias", new float[] {0, 0}),
                        Map.entry(a + "norm_context.weight", new float[] {1, 1}),
                        Map.entry(a + "norm_context.bias", new float[] {0, 0}),
                        Map.entry(a + "fn.to_q.weight", new float[] {1, 0, 0, 1}),
                        // to_kv: k rows first, then v rows = identity
                        Map.entry(a + "fn.to_kv.weight", new float[] {1, 0, 0, 1, 1, 0, 0, 1}),
                        Map.entry(a + "fn.to_out.weight", new float[] {1, 0, 0, 1}),
                        Map.entry(f + "norm.weight", new float[] {1, 1}),
                        Map.entry(f + "norm.bias", new float[] {0, 0}),
                        Map.entry(f + "fn.net.0.weight", new float[8]),
                        Map.entry(f + "fn.net.0.bias", new float[4]),
                        Map.entry(f + "fn.net.2.weight", new float[4]),
                        Map.entry(f + "fn.net.2.bias", new float[] {0, 0})));
        // LN_ctx([1, -1]) = [1, -1] * (1/sqrt(1 + 1e-5)) ~ [1, -1]; so each H row gains [1, -1].
        NDArray h = manager.create(new float[] {3, 4, 10, 10, 0, 2}, new Shape(1, 3, 2));
        NDArray h2 = head.transform(new ParameterStore(manager, false), h, false);
        close(new float[] {4, 3, 11, 9, 1, 1}, h2);
        // pooled over positions 1 and 2: mean [6, 5] -> normalised
        NDArray pool = manager.create(new float[] {0, 1, 1}, new Shape(1, 3));
        double n = Math.sqrt(61);
        close(new float[] {(float) (6 / n), (float) (5 / n)}, run(head, h, pool));
        assertTrue(head.getParameters().values().stream().allMatch(Parameter::requiresGradient));
    }

    @Test
    void latentHeadAt7bScaleHasAbout074BillionParameters() {
        LatentAttentionPooling head =
                new LatentAttentionPooling(4096, LatentAttentionConfig.nvEmbed(4096));
        long n = head.getParameters().values().stream().mapToLong(p -> p.getShape().size()).sum();
        // to_q 134,217,728 + to_kv 268,435,456 + to_out 134,217,728 + latents 2,097,152
        // + ff 134,250,496 + 67,112,960 + three LayerNorms 24,576
        assertEquals(740_356_096L, n);
    }
}
