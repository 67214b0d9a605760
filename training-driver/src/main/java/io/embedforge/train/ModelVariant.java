package io.embedforge.train;

import io.embedforge.settings.BadInputException;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.PoolingMode;

/**
 * The two choices NV-Embed's ablation varies: the decoder's attention mask and the pooling head.
 * Named {@code <mask>-<pooling>} ({@code bidirectional-latent} is NV-Embed, {@code causal-mean} a
 * decoder used raw as most users would) on the {@code eval --variants} and {@code ablate} command
 * lines and in their tables.
 *
 * @param mask decoder attention mask
 * @param pooling pooling head
 */
public record ModelVariant(AttentionMaskMode mask, PoolingMode pooling) {

    /** The paper's model: bidirectional attention, latent-attention pooling. */
    public static final ModelVariant NV_EMBED =
            new ModelVariant(AttentionMaskMode.BIDIRECTIONAL, PoolingMode.LATENT_ATTENTION);

    /** Checks both parts are set. */
    public ModelVariant {
        if (mask == null || pooling == null) {
            throw new IllegalArgumentException("mask and pooling must be set");
        }
    }

    /** {@code <mask>-<pooling>}, e.g. {@code causal-eos}. */
    public String name() {
        return mask.key() + "-" + pooling.key();
    }

    /**
     * The variant named {@code <mask>-<pooling>}.
     *
     * @param option the option being read, for the message
     * @throws BadInputException naming the option, the value and what is allowed
     */
    public static ModelVariant parse(String option, String name) {
        int dash = name.indexOf('-');
        if (dash < 0) {
            throw new BadInputException(
                    option
                            + "="
                            + name
                            + " is not <mask>-<pooling>, e.g. causal-mean or"
                            + " bidirectional-latent");
        }
        return new ModelVariant(
                AttentionMaskMode.of(option + " mask", name.substring(0, dash)),
                PoolingMode.of(option + " pooling", name.substring(dash + 1)));
    }

    /** What to build on a base decoder for this variant, with {@code lora} as the adapter. */
    public ModelSpec spec(LoraConfig lora) {
        return new ModelSpec(lora, mask, pooling, null);
    }
}
