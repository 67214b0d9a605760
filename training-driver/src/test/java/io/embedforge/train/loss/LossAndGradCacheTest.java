package io.embedforge.train.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.data.TrainingExample;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LossAndGradCacheTest {

    static TrainingExample ex(String id, String q, String pos, List<String> negs, boolean inBatch) {
        return new TrainingExample(
                id, "Instruct: find\nQuery: " + q, "find", q, "", pos, negs, inBatch, 0);
    }

    @Test
    void stageOneMasksDuplicatePositivesAndStageTwoOwnDocumentsOnly() {
        TrainingBatch b =
                new TrainingBatch(
                        0,
                        List.of(
                                ex("a", "qa", "same", List.of("n1"), true),
                                ex("b", "qb", "same", List.of(), true),
                                ex("c", "qc", "other", List.of("n2", "n3"), true)));
        ContrastiveBatch s1 = ContrastiveBatch.of(b);
        assertEquals(
                List.of("same", "n1", "same", "other", "n2", "n3"),
                s1.documents().stream().map(EmbeddingInput::text).toList());
        assertArrayEquals(new int[] {0, 2, 3}, s1.positive());
        assertArrayEquals(
                new float[] {1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, s1.allowed());
        List<TrainingExample> stage2 = new ArrayList<>();
        for (TrainingExample e : b.examples()) {
            stage2.add(
                    new TrainingExample(
                            e.exampleId(),
                            e.queryText(),
                            e.instruction(),
                            e.query(),
                            e.documentInstruction(),
                            e.positive(),
                            e.negatives(),
                            false,
                            0));
        }
        ContrastiveBatch s2 = ContrastiveBatch.of(new TrainingBatch(0, stage2));
        assertArrayEquals(
                new float[] {1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1}, s2.allowed());
    }

    /**
     * Garbage collection between forward and backward must not change gradients. DJL's scalar
     * operators ({@code x.mul(2f)}) wrap the number in a JVM-owned direct buffer and close it right
     * away while autograd keeps it for backward; once collected, that memory is reused and the
     * gradients read garbage (seen as NaN gradient norms in training). The model and loss use
     * libtorch-owned scalars ({@code TorchArrays.scalar}); this test fails with DJL's.
     */
    @Test
    void gradientsSurviveGarbageCollectionBetweenForwardAndBackward() throws Exception {
        ContrastiveBatch cb =
                ContrastiveBatch.of(
                        new TrainingBatch(
                                0,
                                List.of(
                                        ex(
                                                "a",
                                                "what is rope",
                                                "rotary embedding",
                                                List.of("a cord"),
                                                true),
                                        ex("b", "capital of france", "paris", List.of(), true))));
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 32)) {
            NvEmbedModel model = TinyModels.tiny(m, 0.0, 11);
            List<Parameter> params = Trainables.of(model);
            float[] quiet = gradients(m, model, tok, params, cb, false);
            float[] churned = gradients(m, model, tok, params, cb, true);
            assertTrue(Float.isFinite(quiet[0]) && quiet.length > 1000);
            assertArrayEquals(quiet, churned, 0f);
        }
    }

    /** Forward, optionally collect garbage and refill freed native memory, then backward. */
    private static float[] gradients(
            NDManager m,
            NvEmbedModel model,
            NvEmbedTokenizer tok,
            List<Parameter> params,
            ContrastiveBatch cb,
            boolean churn)
            throws InterruptedException {
        Trainables.zeroGradients(params);
        try (NDManager s = m.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray e =
                    model.forward(
                                    new ParameterStore(s, false),
                                    tok.encode(cb.sequences()).toNDList(s),
                                    true)
                            .singletonOrThrow();
            NDArray loss = InfoNce.loss(e, cb, InfoNce.DEFAULT_TEMPERATURE);
            if (churn) {
                for (int round = 0; round < 3; round++) {
                    System.gc();
                    Thread.sleep(50);
                    List<ByteBuffer> filler = new ArrayList<>();
                    for (int i = 0; i < 20_000; i++) {
                        ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 8) * 4);
                        while (b.remaining() >= 4) {
                            b.putFloat(Float.NaN);
                        }
                        filler.add(b);
                    }
                }
            }
            gc.backward(loss);
        }
        List<Float> all = new ArrayList<>();
        for (Parameter p : params) {
            for (float f : p.getArray().getGradient().toFloatArray()) {
                all.add(f);
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    /** max_negatives (CPU budgets) keeps the first, best-ranked negatives of each row. */
    @Test
    void maxNegativesKeepsTheFirstNegatives() {
        TrainingBatch b =
                new TrainingBatch(
                        3,
                        List.of(
                                ex("a", "qa", "pa", List.of("n1", "n2", "n3", "n4", "n5"), false),
                                ex("b", "qb", "pb", List.of("m1"), false)));
        TrainingBatch cut = b.withMaxNegatives(3);
        assertEquals(List.of("n1", "n2", "n3"), cut.examples().get(0).negatives());
        assertEquals(List.of("m1"), cut.examples().get(1).negatives());
        assertEquals(3, cut.batchIndex());
        assertEquals(2 + 4 + 2, ContrastiveBatch.of(cut).sequences().size());
        assertEquals(2, ContrastiveBatch.of(b.withMaxNegatives(0)).rowsWithoutNegatives());
    }

    @Test
    void infoNceMatchesHandComputation() {
        TrainingBatch b =
                new TrainingBatch(
                        0,
                        List.of(
                                ex("a", "qa", "pa", List.of("na"), false),
                                ex("b", "qb", "pb", List.of(), false)));
        ContrastiveBatch cb = ContrastiveBatch.of(b);
        // embeddings: qa, qb, pa, na, pb (2-d, unit)
        float[] e = {1, 0, 0, 1, 0.6f, 0.8f, 0.8f, 0.6f, 0, 1};
        try (NDManager m = NDManager.newBaseManager()) {
            double t = 0.5;
            float got = InfoNce.loss(m.create(e, new Shape(5, 2)), cb, t).getFloat();
            double la = -(0.6 / t - Math.log(Math.exp(0.6 / t) + Math.exp(0.8 / t)));
            // b's only candidate is its positive: loss 0, left out of the mean (not (la + 0) / 2)
            assertEquals(1, cb.rowsWithoutNegatives());
            assertEquals(la, got, 1e-6);
        }
    }

    @Test
    void gradCacheGradientsEqualFullBatch() throws IOException {
        TrainingBatch b =
                new TrainingBatch(
                        0,
                        List.of(
                                ex(
                                        "a",
                                        "what is rope",
                                        "rotary position embedding",
                                        List.of("a rope is a cord", "ropes for climbing"),
                                        true),
                                ex(
                                        "b",
                                        "capital of france",
                                        "paris is the capital",
                                        List.of(),
                                        true),
                                ex(
                                        "c",
                                        "largest planet",
                                        "jupiter is the largest planet",
                                        List.of("saturn has rings"),
                                        true)));
        ContrastiveBatch cb = ContrastiveBatch.of(b);
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 64)) {
            NvEmbedModel model = TinyModels.tiny(m, 0.0, 11);
            List<Parameter> params = Trainables.of(model);
            GradCache gc = new GradCache(model, tok, 3, InfoNce.DEFAULT_TEMPERATURE);
            Trainables.zeroGradients(params);
            double plainLoss;
            List<float[]> plain = new ArrayList<>();
            try (NDManager s = m.newSubManager()) {
                plainLoss = gc.plainStep(s, cb, 5).loss();
            }
            for (Parameter p : params) {
                plain.add(p.getArray().getGradient().toFloatArray());
            }
            Trainables.zeroGradients(params);
            double cachedLoss;
            try (NDManager s = m.newSubManager()) {
                cachedLoss = gc.step(s, cb, 5).loss();
            }
            assertEquals(plainLoss, cachedLoss, 1e-5);
            double maxDiff = 0;
            double maxAbs = 0;
            for (int i = 0; i < params.size(); i++) {
                float[] g = params.get(i).getArray().getGradient().toFloatArray();
                for (int k = 0; k < g.length; k++) {
                    maxDiff = Math.max(maxDiff, Math.abs(g[k] - plain.get(i)[k]));
                    maxAbs = Math.max(maxAbs, Math.abs(plain.get(i)[k]));
                }
            }
            System.out.printf(
                    "gradcache vs plain: max|diff|=%.3g max|grad|=%.3g%n", maxDiff, maxAbs);
            assertTrue(maxAbs > 1e-3, "gradients must be non-trivial, max " + maxAbs);
            assertTrue(maxDiff < 1e-5, "max |diff| " + maxDiff);
        }
    }

    @Test
    void gradCacheReplaysDropoutMasks() throws IOException {
        TrainingBatch b =
                new TrainingBatch(
                        0,
                        List.of(
                                ex("a", "q one", "doc one", List.of("neg one"), true),
                                ex("b", "q two", "doc two", List.of("neg two"), true)));
        ContrastiveBatch cb = ContrastiveBatch.of(b);
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 32)) {
            NvEmbedModel model = TinyModels.tiny(m, 0.1, 3);
            List<Parameter> params = Trainables.of(model);
            GradCache gc = new GradCache(model, tok, 2, InfoNce.DEFAULT_TEMPERATURE);
            float[] first;
            float[] second;
            Trainables.zeroGradients(params);
            try (NDManager s = m.newSubManager()) {
                gc.step(s, cb, 9);
            }
            NDArray g0 = params.get(0).getArray().getGradient();
            first = g0.toFloatArray();
            Trainables.zeroGradients(params);
            try (NDManager s = m.newSubManager()) {
                gc.step(s, cb, 9);
            }
            second = params.get(0).getArray().getGradient().toFloatArray();
            assertArrayEquals(first, second, 0f, "same seed, same dropout, same gradient");
        }
    }
}
