package io.embedforge.train.model;

/**
 * How token states become one embedding; NV-Embed uses {@link #LATENT_ATTENTION}, the others are
 * its ablations.
 */
public enum PoolingMode {
    /** Latent-attention head, then masked mean and L2 norm. */
    LATENT_ATTENTION,
    /** Masked mean of the decoder's last hidden states, then L2 norm. */
    MEAN,
    /** The last non-padding token ({@code <EOS>}), then L2 norm. */
    LAST_TOKEN
}
