package io.embedforge.train.model;

/**
 * How token states become one embedding; NV-Embed uses {@link #LATENT_ATTENTION}, the others are
 * its ablations.
 */
public enum PoolingMode implements NamedOption {
    /** Latent-attention head, then masked mean and L2 norm. */
    LATENT_ATTENTION("latent"),
    /** Masked mean of the decoder's last hidden states, then L2 norm. */
    MEAN("mean"),
    /** The last non-padding token ({@code <EOS>}), then L2 norm. */
    LAST_TOKEN("eos");

    private final String key;

    PoolingMode(String key) {
        this.key = key;
    }

    @Override
    public String key() {
        return key;
    }

    /**
     * The mode named {@code key}; an unknown name fails naming {@code option}, it and the allowed.
     */
    public static PoolingMode of(String option, String key) {
        return NamedOption.of(values(), option, key);
    }
}
