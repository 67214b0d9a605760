package io.embedforge.train.model;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * LoRA settings (Hu et al. 2021) as NV-Embed uses them: {@code W x + (alpha / r) B A dropout(x)} on
 * the listed projections, base frozen, {@code B} initialised to zero so an untrained adapter leaves
 * the base output unchanged.
 *
 * @param rank {@code r}
 * @param alpha scaling numerator; the update is scaled by {@code alpha / rank}
 * @param dropout dropout on the adapter input during training, in [0, 1)
 * @param targets projection names, a subset of {@link #ALL_TARGETS}
 */
public record LoraConfig(int rank, double alpha, double dropout, Set<String> targets) {

    /** Every projection of a Mistral layer that may carry an adapter. */
    public static final List<String> ALL_TARGETS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** Validates the values. */
    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("lora.rank=" + rank + " must be > 0");
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora.alpha=" + alpha + " must be > 0");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora.dropout=" + dropout + " must be in [0, 1)");
        }
        targets = Set.copyOf(new LinkedHashSet<>(targets));
        for (String t : targets) {
            if (!ALL_TARGETS.contains(t)) {
                throw new IllegalArgumentException(
                        String.format(
                                Locale.ROOT,
                                "lora.targets contains %s; allowed: %s",
                                t,
                                String.join(", ", ALL_TARGETS)));
            }
        }
    }

    /** NV-Embed's setting: r=16, alpha=32, dropout 0.1 on all seven projections. */
    public static LoraConfig nvEmbed() {
        return new LoraConfig(16, 32, 0.1, Set.copyOf(ALL_TARGETS));
    }

    /** The factor {@code alpha / rank} applied to the adapter output. */
    public double scaling() {
        return alpha / rank;
    }
}
