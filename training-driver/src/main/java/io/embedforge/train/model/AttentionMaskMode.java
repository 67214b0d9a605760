package io.embedforge.train.model;

/**
 * How decoder tokens may attend. NV-Embed removes the causal mask during contrastive training
 * ({@link #BIDIRECTIONAL}, the default); {@link #CAUSAL} is kept to reproduce the paper's ablation.
 */
public enum AttentionMaskMode implements NamedOption {
    /** Every token attends to every non-padding token. */
    BIDIRECTIONAL("bidirectional"),
    /** Every token attends to non-padding tokens at or before its position. */
    CAUSAL("causal");

    private final String key;

    AttentionMaskMode(String key) {
        this.key = key;
    }

    @Override
    public String key() {
        return key;
    }

    /**
     * The mode named {@code key}; an unknown name fails naming {@code option}, it and the allowed.
     */
    public static AttentionMaskMode of(String option, String key) {
        return NamedOption.of(values(), option, key);
    }
}
