package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The NV-Embed embedding model: a Mistral decoder (bidirectional by default, LoRA on its
 * projections) followed by a pooling head. Runs on the training driver.
 *
 * <p>Inputs: {@code [inputIds (B, L), attentionMask (B, L), poolingMask (B, L)]}, where the pooling
 * mask is the attention mask with the instruction prefix zeroed. Output: {@code [embeddings (B,
 * hidden)]}, L2-normalised float32.
 */
public final class NvEmbedModel extends FixedShapeBlock {

    private final MistralDecoder decoder;
    private final LatentAttentionPooling latent;
    private final PoolingMode pooling;
    private final LoraConfig lora;

    /**
     * @param config decoder shape
     * @param lora adapter settings, or {@code null} for a frozen decoder
     * @param maskMode decoder attention mask
     * @param pooling pooling head
     * @param latentConfig latent head shape (used only for {@link PoolingMode#LATENT_ATTENTION})
     */
    public NvEmbedModel(
            MistralConfig config,
            LoraConfig lora,
            AttentionMaskMode maskMode,
            PoolingMode pooling,
            LatentAttentionConfig latentConfig) {
        if (pooling == PoolingMode.LATENT_ATTENTION && latentConfig == null) {
            throw new IllegalArgumentException(
                    "pooling=LATENT_ATTENTION needs a latent head config; got latentConfig=null");
        }
        this.lora = lora;
        this.pooling = pooling;
        decoder = addChildBlock("decoder", new MistralDecoder(config, lora, maskMode));
        latent =
                pooling == PoolingMode.LATENT_ATTENTION
                        ? addChildBlock(
                                "latent",
                                new LatentAttentionPooling(config.hiddenSize(), latentConfig))
                        : null;
    }

    /** NV-Embed's setup: bidirectional, LoRA r16/a32/0.1 on all projections, latent attention. */
    public static NvEmbedModel nvEmbed(MistralConfig config) {
        return new NvEmbedModel(
                config,
                LoraConfig.nvEmbed(),
                AttentionMaskMode.BIDIRECTIONAL,
                PoolingMode.LATENT_ATTENTION,
                LatentAttentionConfig.nvEmbed(config.hiddenSize()));
    }

    /** The decoder. */
    public MistralDecoder decoder() {
        return decoder;
    }

    /** The latent head, or {@code null} for mean/last-token pooling. */
    public LatentAttentionPooling latentHead() {
        return latent;
    }

    /** The LoRA settings, or {@code null}. */
    public LoraConfig lora() {
        return lora;
    }

    /** The pooling head kind. */
    public PoolingMode pooling() {
        return pooling;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code params} may carry a chunk's dropout seed ({@link DropoutSeeds#params}), which the
     * decoder uses to seed each layer's LoRA dropout.
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden =
                decoder.forward(ps, new NDList(inputs.get(0), inputs.get(1)), training, params)
                        .singletonOrThrow();
        return head(ps, hidden, inputs, training);
    }

    /** The pooling head on the decoder's last hidden state; {@code inputs} as for the model. */
    NDList head(ParameterStore ps, NDArray hidden, NDList inputs, boolean training) {
        NDArray poolMask = inputs.get(2);
        return switch (pooling) {
            case LATENT_ATTENTION -> latent.forward(ps, new NDList(hidden, poolMask), training);
            case MEAN -> new NDList(Pooling.l2Normalize(Pooling.maskedMean(hidden, poolMask)));
            case LAST_TOKEN ->
                    new NDList(Pooling.l2Normalize(Pooling.lastToken(hidden, inputs.get(1))));
        };
    }

    @Override
    public Shape[] getOutputShapes(Shape[] in) {
        return new Shape[] {new Shape(in[0].get(0), decoder.config().hiddenSize())};
    }
}
