package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.embedforge.train.TorchArrays;

/**
 * NV-Embed's latent-attention pooling (Lee et al. 2024, section 3.2, and the released model code):
 * the decoder's last hidden states {@code H} are the queries, a trainable latent array is both keys
 * and values:
 *
 * <pre>
 *   H1 = H  + to_out(MHA(q = to_q(LN_q(H)), k, v = split(to_kv(LN_ctx(latents)))))
 *   H2 = H1 + ff(LN_ff(H1)),   ff = Linear(d, 2*m*d) -> GEGLU -> Linear(m*d, d)
 *   e  = normalize(masked_mean(H2, poolMask))
 * </pre>
 *
 * with no mask inside the cross-attention (the pooling mask does the masking). The plain-GELU
 * variant uses {@code Linear(d, m*d) -> GELU -> Linear(m*d, d)}. Trainable parameters, float32,
 * named as in NV-Embed's checkpoint ({@code latent_attention_model.cross_attend_blocks.0.fn.to_q
 * .weight}, ...). Inputs: {@code [H (B, L, d), poolMask (B, L)]}; output {@code [(B, d)]}.
 */
public final class LatentAttentionPooling extends FixedShapeBlock {

    /** Prefix of every parameter name, as in NV-Embed's checkpoint. */
    public static final String PREFIX = "latent_attention_model.";

    private final LatentAttentionConfig config;
    private final Parameter latents;
    private final LayerNormBlock normQuery;
    private final LayerNormBlock normContext;
    private final DenseLinear toQ;
    private final DenseLinear toKv;
    private final DenseLinear toOut;
    private final LayerNormBlock normFf;
    private final DenseLinear ff1;
    private final DenseLinear ff2;

    /**
     * @param hidden width of the decoder's hidden states
     * @param c head shape
     */
    public LatentAttentionPooling(int hidden, LatentAttentionConfig c) {
        this.config = c;
        String a = PREFIX + "cross_attend_blocks.0.";
        String f = PREFIX + "cross_attend_blocks.1.";
        int inner = c.innerDim();
        int ffWidth = c.ffMult() * hidden;
        latents =
                param(
                        PREFIX + "latents",
                        Parameter.Type.WEIGHT,
                        true,
                        c.numLatents(),
                        c.latentDim());
        normQuery = addChildBlock("norm", new LayerNormBlock(a + "norm", hidden));
        normContext =
                addChildBlock(
                        "norm_context", new LayerNormBlock(a + "norm_context", c.latentDim()));
        toQ = addChildBlock("to_q", new DenseLinear(a + "fn.to_q", hidden, inner, false));
        toKv =
                addChildBlock(
                        "to_kv", new DenseLinear(a + "fn.to_kv", c.latentDim(), 2 * inner, false));
        toOut = addChildBlock("to_out", new DenseLinear(a + "fn.to_out", inner, hidden, false));
        normFf = addChildBlock("ff_norm", new LayerNormBlock(f + "norm", hidden));
        ff1 =
                addChildBlock(
                        "ff1",
                        new DenseLinear(
                                f + "fn.net.0", hidden, c.gated() ? 2 * ffWidth : ffWidth, true));
        ff2 = addChildBlock("ff2", new DenseLinear(f + "fn.net.2", ffWidth, hidden, true));
    }

    /** The head shape. */
    public LatentAttentionConfig config() {
        return config;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = TorchArrays.cast(inputs.get(0), DataType.FLOAT32);
        NDArray poolMask = inputs.get(1);
        NDArray h2 = transform(ps, h, training);
        return new NDList(Pooling.l2Normalize(Pooling.maskedMean(h2, poolMask)));
    }

    /** The two residual sub-blocks, before pooling: {@code (B, L, d) -> (B, L, d)}. */
    NDArray transform(ParameterStore ps, NDArray h, boolean training) {
        long b = h.getShape().get(0);
        long len = h.getShape().get(1);
        int heads = config.numHeads();
        int hd = config.headDim();
        // The latents are a parameter, owned by the model's long-lived manager: ops on them
        // directly would attach ctx, kv, k and v there, about 40 MB per forward at SmolLM2's
        // width, never freed (the trainer and eval grew by ~200 MB per step until the OOM
        // killer stopped them). A zero of the input's manager plus the latents moves that work to
        // the caller's per-chunk manager; the gradient still reaches the latents through the add.
        NDArray lat = TorchArrays.scalar(h.getManager(), 0f).add(value(ps, latents, h, training));
        NDArray x = normQuery.forward(ps, new NDList(h), training).singletonOrThrow();
        NDArray ctx = normContext.forward(ps, new NDList(lat), training).singletonOrThrow();
        NDArray q =
                toQ.forward(ps, new NDList(x), training)
                        .singletonOrThrow()
                        .reshape(b, len, heads, hd)
                        .transpose(0, 2, 1, 3);
        NDList kv = toKv.forward(ps, new NDList(ctx), training).singletonOrThrow().split(2, 1);
        long r = lat.getShape().get(0);
        NDArray k = kv.get(0).reshape(r, heads, hd).transpose(1, 0, 2).expandDims(0);
        NDArray v = kv.get(1).reshape(r, heads, hd).transpose(1, 0, 2).expandDims(0);
        NDArray scores =
                q.matMul(k.transpose(0, 1, 3, 2))
                        .mul(TorchArrays.scalar(q.getManager(), (float) (1.0 / Math.sqrt(hd))));
        NDArray attn =
                scores.softmax(-1)
                        .matMul(v)
                        .transpose(0, 2, 1, 3)
                        .reshape(b, len, (long) heads * hd);
        NDArray h1 = h.add(toOut.forward(ps, new NDList(attn), training).singletonOrThrow());
        NDArray y = normFf.forward(ps, new NDList(h1), training).singletonOrThrow();
        NDArray z = ff1.forward(ps, new NDList(y), training).singletonOrThrow();
        NDArray act;
        if (config.gated()) {
            NDList parts = z.split(2, 2);
            act = parts.get(0).mul(Activation.gelu(parts.get(1)));
        } else {
            act = Activation.gelu(z);
        }
        return h1.add(ff2.forward(ps, new NDList(act), training).singletonOrThrow());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] in) {
        return new Shape[] {new Shape(in[0].get(0), in[0].get(2))};
    }
}
