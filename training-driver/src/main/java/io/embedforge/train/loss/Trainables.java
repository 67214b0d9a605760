package io.embedforge.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import io.embedforge.train.NoGrad;
import io.embedforge.train.model.NvEmbedModel;
import java.util.ArrayList;
import java.util.List;

/** The trainable parameters (LoRA and latent head) of a model, in the model's stable order. */
public final class Trainables {

    private Trainables() {}

    /** Trainable parameters, each array marked to collect gradient. */
    public static List<Parameter> of(NvEmbedModel model) {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : model.getParameters().values()) {
            if (p.requiresGradient()) {
                if (!p.getArray().hasGradient()) {
                    p.getArray().setRequiresGradient(true);
                }
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Sets every gradient to zero in place (multiplying by zero would keep a NaN of a diverged
     * step; {@code x - x} too).
     */
    public static void zeroGradients(List<Parameter> params) {
        try (NoGrad noGrad = NoGrad.enter()) {
            for (Parameter p : params) {
                NDArray w = p.getArray();
                if (!w.hasGradient()) {
                    continue;
                }
                try (NDArray g = w.getGradient()) {
                    g.set(new NDIndex("..."), 0f);
                }
            }
        }
    }
}
