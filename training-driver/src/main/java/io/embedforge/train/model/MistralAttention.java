package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.embedforge.train.TorchArrays;

/**
 * Grouped-query self-attention of a Mistral layer (Ainslie et al. 2023): {@code numHeads} query
 * heads share {@code numKvHeads} key/value heads, query head {@code h} reading key/value head
 * {@code h / groups} as {@code transformers}' {@code repeat_kv} does. Rotary embeddings on queries
 * and keys; the additive mask (padding only, or padding plus causal) is supplied by the caller.
 * Scores and softmax are in float32.
 *
 * <p>Inputs: {@code [x (B, L, hidden), maskBias (B, 1, L|1, L), cos (L, D), sin (L, D)]}.
 */
final class MistralAttention extends FixedShapeBlock {

    private final LoraLinear q;
    private final LoraLinear k;
    private final LoraLinear v;
    private final LoraLinear o;
    private final int heads;
    private final int kvHeads;
    private final int headDim;

    MistralAttention(String name, MistralConfig c, LoraConfig lora) {
        this.heads = c.numHeads();
        this.kvHeads = c.numKvHeads();
        this.headDim = c.headDim();
        int h = c.hiddenSize();
        q = addChildBlock("q_proj", proj(name + ".q_proj", h, heads * headDim, lora, "q_proj"));
        k = addChildBlock("k_proj", proj(name + ".k_proj", h, kvHeads * headDim, lora, "k_proj"));
        v = addChildBlock("v_proj", proj(name + ".v_proj", h, kvHeads * headDim, lora, "v_proj"));
        o = addChildBlock("o_proj", proj(name + ".o_proj", heads * headDim, h, lora, "o_proj"));
    }

    static LoraLinear proj(String name, int in, int out, LoraConfig lora, String target) {
        return new LoraLinear(
                name, in, out, lora != null && lora.targets().contains(target) ? lora : null);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray bias = inputs.get(1);
        NDArray cos = inputs.get(2);
        NDArray sin = inputs.get(3);
        long b = x.getShape().get(0);
        long len = x.getShape().get(1);
        NDArray qs =
                heads(q.forward(ps, new NDList(x), training).singletonOrThrow(), b, len, heads);
        NDArray ks =
                heads(k.forward(ps, new NDList(x), training).singletonOrThrow(), b, len, kvHeads);
        NDArray vs =
                heads(v.forward(ps, new NDList(x), training).singletonOrThrow(), b, len, kvHeads);
        qs = RotaryEmbedding.apply(qs, cos, sin);
        ks = RotaryEmbedding.apply(ks, cos, sin);
        int groups = heads / kvHeads;
        if (groups > 1) {
            ks = ks.repeat(1, groups);
            vs = vs.repeat(1, groups);
        }
        DataType t = x.getDataType();
        NDArray scores =
                TorchArrays.cast(qs.matMul(ks.transpose(0, 1, 3, 2)), DataType.FLOAT32)
                        .mul(TorchArrays.scalar(x.getManager(), (float) (1.0 / Math.sqrt(headDim))))
                        .add(bias);
        NDArray probs = TorchArrays.cast(scores.softmax(-1), t);
        NDArray out =
                probs.matMul(vs).transpose(0, 2, 1, 3).reshape(b, len, (long) heads * headDim);
        return o.forward(ps, new NDList(out), training);
    }

    private static NDArray heads(NDArray x, long b, long len, int n) {
        return x.reshape(b, len, n, -1).transpose(0, 2, 1, 3);
    }
}
