package io.embedforge.train.model;

/**
 * How decoder tokens may attend. NV-Embed removes the causal mask during contrastive training
 * ({@link #BIDIRECTIONAL}, the default); {@link #CAUSAL} is kept to reproduce the paper's ablation.
 */
public enum AttentionMaskMode {
    /** Every token attends to every non-padding token. */
    BIDIRECTIONAL,
    /** Every token attends to non-padding tokens at or before its position. */
    CAUSAL
}
