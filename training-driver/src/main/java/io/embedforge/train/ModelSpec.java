package io.embedforge.train;

import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.LatentAttentionConfig;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.PoolingMode;

/**
 * What to build on top of a base decoder: adapter, mask, pooling head. NV-Embed's values are the
 * defaults; the others exist for the paper's ablations.
 *
 * @param lora LoRA settings, or {@code null} to train no adapter
 * @param maskMode decoder attention mask
 * @param pooling pooling head
 * @param latent latent head shape, or {@code null} for {@link LatentAttentionConfig#nvEmbed} of the
 *     decoder's hidden size
 */
public record ModelSpec(
        LoraConfig lora,
        AttentionMaskMode maskMode,
        PoolingMode pooling,
        LatentAttentionConfig latent) {

    /** Checks the required parts. */
    public ModelSpec {
        if (maskMode == null || pooling == null) {
            throw new IllegalArgumentException("maskMode and pooling must be set");
        }
    }

    /** NV-Embed: LoRA r16/a32/0.1 on all projections, bidirectional, latent attention. */
    public static ModelSpec nvEmbed() {
        return new ModelSpec(
                LoraConfig.nvEmbed(),
                AttentionMaskMode.BIDIRECTIONAL,
                PoolingMode.LATENT_ATTENTION,
                null);
    }
}
