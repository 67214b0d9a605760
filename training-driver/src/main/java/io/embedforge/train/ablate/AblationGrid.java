package io.embedforge.train.ablate;

import io.embedforge.settings.BadInputException;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.PoolingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The variants an ablation trains: every attention mask crossed with every pooling head of {@code
 * ablate --grid mask=causal,bidirectional pooling=mean,eos,latent} (NV-Embed's table 4). A key left
 * out takes all its values. Bad keys and values fail here, before any training, naming the entry,
 * the key or value and what is allowed.
 *
 * @param masks the masks, in the order given
 * @param poolings the pooling heads, in the order given
 */
public record AblationGrid(List<AttentionMaskMode> masks, List<PoolingMode> poolings) {

    /** Grid key of the attention mask. */
    public static final String MASK = "mask";

    /** Grid key of the pooling head. */
    public static final String POOLING = "pooling";

    /** Copies the lists. */
    public AblationGrid {
        masks = List.copyOf(masks);
        poolings = List.copyOf(poolings);
    }

    /**
     * Reads {@code key=value,value} entries.
     *
     * @param entries the {@code --grid} arguments; null or empty = the full grid
     * @throws BadInputException on an entry without {@code =}, an unknown or repeated key, an
     *     unknown or repeated value, or an empty value list
     */
    public static AblationGrid parse(List<String> entries) {
        List<AttentionMaskMode> masks = null;
        List<PoolingMode> poolings = null;
        for (String entry : entries == null ? List.<String>of() : entries) {
            int eq = entry.indexOf('=');
            if (eq < 0) {
                throw new BadInputException(
                        "--grid " + entry + " is not key=value[,value...]; keys: mask, pooling");
            }
            String key = entry.substring(0, eq).trim();
            List<String> values = values(entry, key, entry.substring(eq + 1));
            switch (key) {
                case MASK -> {
                    repeated(masks != null, key);
                    masks = new ArrayList<>();
                    for (String v : values) {
                        masks.add(AttentionMaskMode.of("--grid " + MASK, v));
                    }
                }
                case POOLING -> {
                    repeated(poolings != null, key);
                    poolings = new ArrayList<>();
                    for (String v : values) {
                        poolings.add(PoolingMode.of("--grid " + POOLING, v));
                    }
                }
                default ->
                        throw new BadInputException(
                                "--grid key "
                                        + key
                                        + " (in "
                                        + entry
                                        + ") is not allowed; allowed: mask, pooling");
            }
        }
        return new AblationGrid(
                masks != null ? masks : Arrays.asList(AttentionMaskMode.values()),
                poolings != null ? poolings : Arrays.asList(PoolingMode.values()));
    }

    private static List<String> values(String entry, String key, String list) {
        Set<String> out = new LinkedHashSet<>();
        for (String v : list.split(",", -1)) {
            String t = v.trim();
            if (t.isEmpty()) {
                throw new BadInputException(
                        "--grid "
                                + entry
                                + ": empty value for "
                                + key
                                + " (give value[,value...])");
            }
            if (!out.add(t)) {
                throw new BadInputException("--grid " + entry + ": " + key + "=" + t + " twice");
            }
        }
        return List.copyOf(out);
    }

    private static void repeated(boolean seen, String key) {
        if (seen) {
            throw new BadInputException("--grid key " + key + " given twice; give it once");
        }
    }

    /** Every mask with every pooling head, masks outermost. */
    public List<ModelVariant> variants() {
        List<ModelVariant> out = new ArrayList<>();
        for (AttentionMaskMode m : masks) {
            for (PoolingMode p : poolings) {
                out.add(new ModelVariant(m, p));
            }
        }
        return out;
    }
}
