package io.embedforge.train.loss;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.embedforge.train.ModelSpec;
import io.embedforge.train.NvEmbedModels;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.weights.SeededInitializer;
import java.io.IOException;

/** The tiny model with a chosen LoRA dropout and non-zero B (so every trainable gets gradient). */
public final class TinyModels {

    private TinyModels() {}

    /** Tiny NV-Embed model; LoRA B drawn from N(0, 0.05) so LoRA A gradients are non-zero. */
    public static NvEmbedModel tiny(NDManager m, double dropout, long seed) throws IOException {
        LoraConfig nv = LoraConfig.nvEmbed();
        ModelSpec spec =
                new ModelSpec(
                        new LoraConfig(nv.rank(), nv.alpha(), dropout, nv.targets()),
                        AttentionMaskMode.BIDIRECTIONAL,
                        PoolingMode.LATENT_ATTENTION,
                        null);
        NvEmbedModel model = NvEmbedModels.tiny(m, spec, seed);
        for (Parameter p : model.getParameters().values()) {
            if (p.getName().contains("lora_B")) {
                p.getArray()
                        .set(
                                new SeededInitializer(
                                                SeededInitializer.Kind.NORMAL,
                                                0.05,
                                                seed,
                                                p.getName())
                                        .initialize(
                                                m,
                                                p.getArray().getShape(),
                                                p.getArray().getDataType())
                                        .toFloatArray());
            }
        }
        return model;
    }
}
