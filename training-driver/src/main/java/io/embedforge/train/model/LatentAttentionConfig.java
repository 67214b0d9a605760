package io.embedforge.train.model;

import java.util.Locale;

/**
 * Shape of NV-Embed's latent-attention pooling head.
 *
 * @param numLatents rows of the trainable latent array (512 in NV-Embed)
 * @param latentDim width of a latent (4096 = hidden size at 7B)
 * @param numHeads cross-attention heads (8)
 * @param headDim width of one head (4096 at 7B, so the inner width is 8 x 4096)
 * @param ffMult feed-forward expansion (4)
 * @param gated {@code true} for GEGLU as in the released code, {@code false} for the plain GELU MLP
 *     of the paper's text
 */
public record LatentAttentionConfig(
        int numLatents, int latentDim, int numHeads, int headDim, int ffMult, boolean gated) {

    /** Validates the values. */
    public LatentAttentionConfig {
        check("latent.num_latents", numLatents);
        check("latent.latent_dim", latentDim);
        check("latent.num_heads", numHeads);
        check("latent.head_dim", headDim);
        check("latent.ff_mult", ffMult);
    }

    private static void check(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(
                    String.format(Locale.ROOT, "%s=%d must be > 0", name, v));
        }
    }

    /**
     * NV-Embed's head for a decoder of width {@code hidden}: 512 latents, 8 heads of width {@code
     * hidden}, GEGLU x4.
     */
    public static LatentAttentionConfig nvEmbed(int hidden) {
        return new LatentAttentionConfig(512, hidden, 8, hidden, 4, true);
    }

    /** Width of the concatenated heads. */
    public int innerDim() {
        return numHeads * headDim;
    }
}
