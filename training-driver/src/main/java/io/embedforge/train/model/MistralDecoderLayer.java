package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One pre-norm Mistral layer: {@code h = x + attn(norm1(x)); out = h + mlp(norm2(h))}. Same inputs
 * as {@link MistralAttention}; output {@code (B, L, hidden)}. Attention and MLP run in their own
 * sub-managers ({@link FixedShapeBlock#forwardScoped}), so their intermediates autograd does not
 * save are freed as soon as each returns.
 */
final class MistralDecoderLayer extends FixedShapeBlock {

    private final RmsNorm inputNorm;
    private final MistralAttention attention;
    private final RmsNorm postNorm;
    private final MistralMlp mlp;

    MistralDecoderLayer(String name, MistralConfig c, LoraConfig lora) {
        inputNorm =
                addChildBlock(
                        "input_layernorm",
                        new RmsNorm(
                                name + ".input_layernorm", c.hiddenSize(), c.rmsNormEps(), false));
        attention = addChildBlock("self_attn", new MistralAttention(name + ".self_attn", c, lora));
        postNorm =
                addChildBlock(
                        "post_attention_layernorm",
                        new RmsNorm(
                                name + ".post_attention_layernorm",
                                c.hiddenSize(),
                                c.rmsNormEps(),
                                false));
        mlp = addChildBlock("mlp", new MistralMlp(name + ".mlp", c, lora));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray normed = inputNorm.forward(ps, new NDList(x), training).singletonOrThrow();
        NDList attnIn = new NDList(normed, inputs.get(1), inputs.get(2), inputs.get(3));
        NDArray h = x.add(forwardScoped(attention, ps, attnIn, training).singletonOrThrow());
        NDArray n2 = postNorm.forward(ps, new NDList(h), training).singletonOrThrow();
        return new NDList(
                h.add(forwardScoped(mlp, ps, new NDList(n2), training).singletonOrThrow()));
    }
}
