package io.embedforge.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.embedforge.train.ModelSpec;
import io.embedforge.train.NvEmbedModels;
import io.embedforge.train.TorchArrays;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.weights.SeededInitializer;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The float16 base (the GPU's precision path, run on the CPU: libtorch 2.7.1's CPU kernels cover
 * every op of the model in float16) back-propagates into every trainable parameter, with the
 * gradients of the float32 model up to float16 rounding. Before {@link TorchArrays#cast}, DJL's
 * {@code toType} cut the graph at each float16/float32 cast and every LoRA gradient was exactly 0
 * (checked: this test failed that way), so a GPU run trained the latent head only.
 */
class Float16GradientsTest {

    /**
     * Bound on {@code |g16 - g32| / |g32|} per tensor. float16 keeps 11 significant bits (unit
     * roundoff 4.9e-4), so the embeddings differ by a few 1e-4 relative, and InfoNCE at temperature
     * 0.02 multiplies score differences by 1/T = 50 before the softmax: about 2.5e-2 on the loss
     * gradient that every parameter gradient is a linear image of. Measured here 1.6e-2 to 1.9e-2
     * for all 44 tensors alike (a common factor: the loss gradient). A missing gradient is 1.0.
     */
    static final double RELATIVE = 5e-2;

    @Test
    void everyTrainableGetsTheFloat32GradientUpToFloat16Rounding() throws IOException {
        ContrastiveBatch cb =
                ContrastiveBatch.of(
                        new TrainingBatch(
                                0,
                                List.of(
                                        LossAndGradCacheTest.ex(
                                                "a",
                                                "what is rope",
                                                "rotary embedding",
                                                List.of("a cord"),
                                                true),
                                        LossAndGradCacheTest.ex(
                                                "b",
                                                "capital of france",
                                                "paris",
                                                List.of("lyon"),
                                                true))));
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 32)) {
            NvEmbedModel f32 = model(m, DataType.FLOAT32);
            NvEmbedModel f16 = model(m, DataType.FLOAT16);
            List<Parameter> p32 = Trainables.of(f32);
            List<Parameter> p16 = Trainables.of(f16);
            Trainables.zeroGradients(p32);
            Trainables.zeroGradients(p16);
            double l32;
            double l16;
            try (NDManager s = m.newSubManager()) {
                l32 = new GradCache(f32, tok, 3, 0.02).step(s, cb, 5).loss();
                l16 = new GradCache(f16, tok, 3, 0.02).step(s, cb, 5).loss();
            }
            assertEquals(l32, l16, 1e-2 * l32, "loss");
            assertEquals(p32.size(), p16.size());
            for (int i = 0; i < p32.size(); i++) {
                float[] a = p32.get(i).getArray().getGradient().toFloatArray();
                float[] b = p16.get(i).getArray().getGradient().toFloatArray();
                double na = 0;
                double d = 0;
                for (int j = 0; j < a.length; j++) {
                    na += (double) a[j] * a[j];
                    d += (double) (a[j] - b[j]) * (a[j] - b[j]);
                }
                String name = p32.get(i).getName();
                assertTrue(na > 0, name + " has no float32 gradient");
                assertTrue(
                        Math.sqrt(d) <= RELATIVE * Math.sqrt(na),
                        name + ": |g16 - g32| = " + Math.sqrt(d) + ", |g32| = " + Math.sqrt(na));
            }
        }
    }

    /** Tiny model, base in {@code base}, no dropout, LoRA B non-zero (so LoRA A gets gradient). */
    private static NvEmbedModel model(NDManager m, DataType base) throws IOException {
        LoraConfig nv = LoraConfig.nvEmbed();
        ModelSpec spec =
                new ModelSpec(
                        new LoraConfig(nv.rank(), nv.alpha(), 0, nv.targets()),
                        AttentionMaskMode.BIDIRECTIONAL,
                        PoolingMode.LATENT_ATTENTION,
                        null);
        NvEmbedModel model = NvEmbedModels.tiny(m, spec, 11, base);
        for (Parameter p : model.getParameters().values()) {
            if (p.getName().contains("lora_B")) {
                TorchArrays.copyInto(
                        p.getArray(),
                        new SeededInitializer(SeededInitializer.Kind.NORMAL, 0.05, 7, p.getName())
                                .initialize(m, p.getArray().getShape(), DataType.FLOAT32)
                                .toFloatArray());
            }
        }
        return model;
    }
}
