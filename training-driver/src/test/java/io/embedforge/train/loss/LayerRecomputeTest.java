package io.embedforge.train.loss;

import static io.embedforge.train.loss.LossAndGradCacheTest.ex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.tokenize.TokenBatch;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Per-layer recomputation ({@code activation_checkpointing: layer}) computes the same function as
 * the whole chunk's graph: same loss, same gradient of every trainable (LoRA A and B of every
 * projection, the latent head), with LoRA dropout on, so the replayed layers must draw the masks of
 * the forward they replay; also with loss scaling and over several model copies.
 */
class LayerRecomputeTest {

    private static final int CHUNK = 3;

    /** A step's loss and every trainable's gradient, by name. */
    private record Grads(double loss, Map<String, float[]> byName) {}

    private static ContrastiveBatch batch() {
        return ContrastiveBatch.of(
                new TrainingBatch(
                        0,
                        List.of(
                                ex(
                                        "a",
                                        "rotary position",
                                        "a rope is a cord",
                                        List.of("ropes"),
                                        true),
                                ex("b", "capital of france", "paris", List.of(), true),
                                ex("c", "largest planet", "jupiter", List.of("saturn"), true))));
    }

    @Test
    void layerRecomputationGivesTheFullGraphsGradientsWithDropout() throws IOException {
        ContrastiveBatch cb = batch();
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 64)) {
            NvEmbedModel model = TinyModels.tiny(m, 0.3, 11);
            List<TokenBatch> chunks = GradCache.tokenize(tok, cb, CHUNK);
            Grads full =
                    step(m, new GradCache(model, tok, CHUNK, 0.05, false), model, cb, chunks, 5, 1);
            Grads layer =
                    step(m, new GradCache(model, tok, CHUNK, 0.05, true), model, cb, chunks, 5, 1);
            Grads otherMasks =
                    step(m, new GradCache(model, tok, CHUNK, 0.05, false), model, cb, chunks, 6, 1);
            assertEquals(full.loss(), layer.loss(), 0.0, "loss");
            assertSame(full, layer, "layer vs full graph");
            double masks = maxDiff(full, otherMasks);
            System.out.printf("other dropout masks: max|diff|=%.3g%n", masks);
            assertTrue(masks > 1e-4, "dropout must matter for this test to check masks: " + masks);
        }
    }

    /** Loss scaling and two model copies (chunks spread over both, gradients gathered). */
    @Test
    void layerRecomputationWithLossScalingOnTwoCopiesMatchesOneFullGraph() throws IOException {
        ContrastiveBatch cb = batch();
        try (NDManager m = NDManager.newBaseManager();
                NDManager m1 = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 64)) {
            NvEmbedModel model = TinyModels.tiny(m, 0.3, 11);
            NvEmbedModel copy = TinyModels.tiny(m1, 0.3, 11);
            Replicas two = new Replicas(List.of(model, copy), List.of(m, m1));
            List<TokenBatch> chunks = GradCache.tokenize(tok, cb, 2);
            assertTrue(chunks.size() >= 3, "chunks on both copies, one copy twice");
            Grads full =
                    step(m, new GradCache(model, tok, 2, 0.05, false), model, cb, chunks, 7, 1024);
            Grads layer =
                    step(m, new GradCache(two, tok, 2, 0.05, true), model, cb, chunks, 7, 1024);
            assertEquals(full.loss(), layer.loss(), 0.0, "loss");
            assertSame(full, layer, "two copies, layer vs one full graph, scale 1024");
        }
    }

    /** One GradCache step from zeroed gradients. */
    private static Grads step(
            NDManager m,
            GradCache gc,
            NvEmbedModel model,
            ContrastiveBatch cb,
            List<TokenBatch> chunks,
            long seed,
            double scale) {
        List<Parameter> params = Trainables.of(model);
        Trainables.zeroGradients(params);
        double loss;
        try (NDManager s = m.newSubManager()) {
            loss = gc.step(s, cb, chunks, seed, scale).loss();
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameter p : params) {
            out.put(p.getName(), p.getArray().getGradient().toFloatArray());
        }
        return new Grads(loss, out);
    }

    /**
     * Every trainable's gradient equal to within {@code 1e-6} of the largest gradient, none all
     * zero, LoRA A, LoRA B and the latent head all present.
     */
    private static void assertSame(Grads expected, Grads actual, String what) {
        assertEquals(expected.byName().keySet(), actual.byName().keySet());
        double maxAbs = 0;
        for (Map.Entry<String, float[]> e : expected.byName().entrySet()) {
            double abs = 0;
            for (float v : e.getValue()) {
                abs = Math.max(abs, Math.abs(v));
            }
            assertTrue(abs > 0, e.getKey() + " has an all-zero gradient");
            maxAbs = Math.max(maxAbs, abs);
        }
        double diff = maxDiff(expected, actual);
        System.out.printf("%s: max|diff|=%.3g max|grad|=%.3g%n", what, diff, maxAbs);
        assertTrue(diff <= 1e-6 * maxAbs, what + ": max |diff| " + diff + " of " + maxAbs);
        for (String kind : List.of("lora_A", "lora_B", "latent")) {
            assertTrue(expected.byName().keySet().stream().anyMatch(n -> n.contains(kind)), kind);
        }
    }

    private static double maxDiff(Grads a, Grads b) {
        double max = 0;
        for (Map.Entry<String, float[]> e : a.byName().entrySet()) {
            float[] u = e.getValue();
            float[] v = b.byName().get(e.getKey());
            for (int i = 0; i < u.length; i++) {
                max = Math.max(max, Math.abs(u[i] - v[i]));
            }
        }
        return max;
    }
}
