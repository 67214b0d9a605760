package io.embedforge.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.NoGrad;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Dynamic loss scaling for a float16 base (the schedule of {@code torch.cuda.amp.GradScaler}): the
 * gradient that enters the backward pass is multiplied by {@code scale} so that small activation
 * gradients do not underflow float16 (smallest normal 6.1e-5), the float32 parameter gradients are
 * divided by it again, and a step whose gradients hold an infinity or NaN is skipped (no update)
 * with the scale halved; after {@code growthInterval} good steps in a row it doubles. Scales are
 * powers of two, so scaling and unscaling are exact: with no overflow the update is the unscaled
 * one bit for bit (up to float16 underflow, which is the point).
 *
 * <p>Its state (scale, good steps in a row, skipped steps, overflows) is saved with each checkpoint
 * ({@link #FILE}) so a resumed run continues with the same schedule.
 */
public final class LossScaler {

    /** The scaler's file in a checkpoint folder. */
    public static final String FILE = "loss-scale.json";

    /** Below this scale training is stopped: every step overflows, scaling cannot help. */
    static final double MIN_SCALE = 0x1p-24;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean enabled;
    private final int growthInterval;
    private double scale;
    private long goodInARow;
    private long skippedSteps;
    private long overflowTensors;

    /**
     * @param enabled scale at all (else {@link #scale()} is 1 and nothing is checked or skipped)
     * @param initialScale first scale, a power of two
     * @param growthInterval good steps in a row before the scale doubles
     */
    public LossScaler(boolean enabled, double initialScale, int growthInterval) {
        this.enabled = enabled;
        this.growthInterval = growthInterval;
        this.scale = enabled ? initialScale : 1;
    }

    /** Whether gradients are scaled and checked. */
    public boolean enabled() {
        return enabled;
    }

    /** The scale the next backward pass uses (1 when disabled). */
    public double scale() {
        return scale;
    }

    /** Steps skipped because of an overflow, over the whole run (resumes included). */
    public long skippedSteps() {
        return skippedSteps;
    }

    /** Gradient tensors found non-finite, summed over the skipped steps. */
    public long overflowTensors() {
        return overflowTensors;
    }

    /**
     * After the backward pass: divides every gradient by the scale and counts the gradients with an
     * infinity or NaN. With {@code n > 0} the caller must skip the update and call {@link
     * #overflowed}; otherwise apply it and call {@link #stepped}.
     *
     * @return the number of parameters whose gradient is not finite (0 when disabled)
     */
    public int unscale(NDManager manager, List<Parameter> params) {
        if (!enabled) {
            return 0;
        }
        int bad = 0;
        float inverse = (float) (1 / scale);
        try (NoGrad noGrad = NoGrad.enter();
                NDManager tmp = manager.newSubManager()) {
            for (Parameter p : params) {
                NDArray g = p.getArray().getGradient();
                g.attach(tmp);
                g.muli(inverse);
                if (!g.isInfinite().logicalOr(g.isNaN()).none().getBoolean()) {
                    bad++;
                }
            }
        }
        return bad;
    }

    /**
     * A skipped step: halves the scale and counts it.
     *
     * @param tensors how many gradients were not finite
     * @return false once the scale has fallen below {@link #MIN_SCALE} (training cannot go on)
     */
    public boolean overflowed(int tensors) {
        skippedSteps++;
        overflowTensors += tensors;
        goodInARow = 0;
        scale *= 0.5;
        return scale >= MIN_SCALE;
    }

    /** An applied step: after {@code growthInterval} of them in a row the scale doubles. */
    public void stepped() {
        if (!enabled) {
            return;
        }
        if (++goodInARow >= growthInterval) {
            scale *= 2;
            goodInARow = 0;
        }
    }

    /** Writes the state into a checkpoint folder. */
    public void save(Path folder) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("enabled", enabled);
        n.put("scale", scale);
        n.put("good_steps_in_a_row", goodInARow);
        n.put("skipped_steps", skippedSteps);
        n.put("overflow_tensors", overflowTensors);
        Files.writeString(folder.resolve(FILE), JSON.writeValueAsString(n));
    }

    /**
     * Restores the state from a checkpoint folder; a checkpoint without the file (written before
     * loss scaling existed, always float32) leaves the fresh state.
     *
     * @throws IOException if the file cannot be read or lacks a field
     */
    public void load(Path folder) throws IOException {
        Path f = folder.resolve(FILE);
        if (!Files.exists(f)) {
            return;
        }
        JsonNode n = JSON.readTree(f.toFile());
        for (String key :
                List.of("scale", "good_steps_in_a_row", "skipped_steps", "overflow_tensors")) {
            if (!n.has(key)) {
                throw new IOException(f + " lacks " + key);
            }
        }
        if (enabled && n.get("enabled").asBoolean()) {
            scale = n.get("scale").asDouble();
            goodInARow = n.get("good_steps_in_a_row").asLong();
        }
        skippedSteps = n.get("skipped_steps").asLong();
        overflowTensors = n.get("overflow_tensors").asLong();
    }
}
