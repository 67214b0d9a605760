package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * The Mistral decoder stack (Jiang et al. 2023) without the language-model head: token embedding,
 * {@code numLayers} pre-norm layers, final RMSNorm. Parameter names follow {@code
 * MistralForCausalLM} ({@code model.embed_tokens.weight}, {@code model.layers.N...}, {@code
 * model.norm.weight}). Base weights are frozen; only LoRA parameters require gradients.
 *
 * <p>Inputs: {@code [inputIds (B, L) int64, attentionMask (B, L) 1 = token, 0 = padding]}. Output:
 * {@code [lastHiddenState (B, L, hidden)]}. The mask is {@link AttentionMaskMode#BIDIRECTIONAL}
 * unless configured otherwise. The sliding window of Mistral (4096) never binds at NV-Embed's 512
 * tokens and is not implemented.
 *
 * <p>Each layer runs in its own sub-manager ({@link FixedShapeBlock#forwardScoped}): only its
 * output stays attached to the caller's manager, so a chunk's forward holds what autograd saves for
 * the backward, not every intermediate array (docs/gpu.md, "Activation memory").
 */
public final class MistralDecoder extends FixedShapeBlock {

    /** A large negative finite bias: exp underflows to exactly 0 in float32. */
    static final float MASK_BIAS = -1e9f;

    private final MistralConfig config;
    private final AttentionMaskMode maskMode;
    private final Parameter embed;
    private final List<MistralDecoderLayer> layers = new ArrayList<>();
    private final RmsNorm norm;

    /**
     * @param config decoder shape
     * @param lora adapter settings, or {@code null} for none
     * @param maskMode bidirectional (NV-Embed) or causal (ablation)
     */
    public MistralDecoder(MistralConfig config, LoraConfig lora, AttentionMaskMode maskMode) {
        this.config = config;
        this.maskMode = maskMode;
        embed =
                param(
                        "model.embed_tokens.weight",
                        Parameter.Type.WEIGHT,
                        false,
                        config.vocabSize(),
                        config.hiddenSize());
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(
                    addChildBlock(
                            "layer" + i,
                            new MistralDecoderLayer("model.layers." + i, config, lora)));
        }
        norm =
                addChildBlock(
                        "norm",
                        new RmsNorm("model.norm", config.hiddenSize(), config.rmsNormEps(), false));
    }

    /** The decoder shape. */
    public MistralConfig config() {
        return config;
    }

    /** The attention mask mode. */
    public AttentionMaskMode maskMode() {
        return maskMode;
    }

    /**
     * The arrays every layer reads besides its input (mask bias, rotary tables) and the first
     * layer's input (the token embeddings).
     */
    record LayerInputs(NDArray embedded, NDArray bias, NDArray cos, NDArray sin) {
        /** A layer's inputs with hidden state {@code x}. */
        NDList with(NDArray x) {
            return new NDList(x, bias, cos, sin);
        }
    }

    /** How many layers. */
    int numLayers() {
        return layers.size();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        Integer seed = DropoutSeeds.of(params);
        LayerInputs in = embed(ps, inputs.get(0), inputs.get(1), training);
        NDArray x = in.embedded();
        for (int i = 0; i < layers.size(); i++) {
            x = layer(i, ps, x, in, training, seed);
        }
        return new NDList(norm(ps, x, training));
    }

    /** The token embeddings and the shared layer inputs of {@code ids} under {@code mask}. */
    LayerInputs embed(ParameterStore ps, NDArray ids, NDArray mask, boolean training) {
        int len = (int) ids.getShape().get(1);
        NDArray w = value(ps, embed, ids, training);
        NDArray x =
                ids.getNDArrayInternal()
                        .embedding(ids.toType(DataType.INT64, false), w, SparseFormat.DENSE)
                        .singletonOrThrow();
        NDManager m = x.getManager();
        NDArray bias = maskBias(mask, maskMode).toDevice(x.getDevice(), false);
        NDList rope = RotaryEmbedding.tables(m, len, config.headDim(), config.ropeTheta());
        NDArray cos = rope.get(0).toDevice(x.getDevice(), false);
        NDArray sin = rope.get(1).toDevice(x.getDevice(), false);
        return new LayerInputs(x, bias, cos, sin);
    }

    /**
     * Layer {@code i} on hidden state {@code x}, in its own sub-manager ({@link #forwardScoped});
     * when training with a chunk seed, libtorch's generator is seeded from {@code (seed, i)} first
     * ({@link DropoutSeeds}), so the layer draws the same dropout masks whenever it is re-run.
     */
    NDArray layer(
            int i, ParameterStore ps, NDArray x, LayerInputs in, boolean training, Integer seed) {
        if (training && seed != null) {
            DropoutSeeds.seedLayer(seed, i);
        }
        return forwardScoped(layers.get(i), ps, in.with(x), training).singletonOrThrow();
    }

    /** The final RMSNorm. */
    NDArray norm(ParameterStore ps, NDArray x, boolean training) {
        return norm.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    /**
     * The additive float32 attention bias: {@link #MASK_BIAS} on padding keys, and on future keys
     * too when causal.
     *
     * @param mask {@code (B, L)}, 1 for tokens, 0 for padding
     * @return {@code (B, 1, 1, L)} bidirectional or {@code (B, 1, L, L)} causal
     */
    static NDArray maskBias(NDArray mask, AttentionMaskMode mode) {
        long b = mask.getShape().get(0);
        long len = mask.getShape().get(1);
        NDArray keys =
                mask.toType(DataType.FLOAT32, false)
                        .neg()
                        .add(1f)
                        .mul(MASK_BIAS)
                        .reshape(b, 1, 1, len);
        if (mode == AttentionMaskMode.BIDIRECTIONAL) {
            return keys;
        }
        NDManager m = mask.getManager();
        NDArray pos = m.arange(len);
        NDArray future =
                pos.reshape(1, len)
                        .gt(pos.reshape(len, 1))
                        .toType(DataType.FLOAT32, false)
                        .mul(MASK_BIAS);
        return keys.add(future.reshape(1, 1, len, len));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.hiddenSize())};
    }
}
