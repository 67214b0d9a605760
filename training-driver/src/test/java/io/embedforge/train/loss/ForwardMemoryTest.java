package io.embedforge.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.eval.NvEmbedEmbedder;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Training steps and evaluation forwards leave no array on the model's (long-lived) manager: every
 * temporary belongs to the caller's per-step manager. Ops whose first operand is a parameter attach
 * their result to the parameter's manager; the latent head computed on its latents that way and
 * grew SmolLM2 runs by ~200 MB per step until the OOM killer stopped them.
 */
class ForwardMemoryTest {

    @Test
    void gradCacheStepsAndEvalForwardsLeaveNoArraysOnTheModelsManager() throws IOException {
        TrainingBatch b =
                new TrainingBatch(
                        0,
                        List.of(
                                LossAndGradCacheTest.ex(
                                        "a", "q one", "doc one", List.of("neg one"), true),
                                LossAndGradCacheTest.ex(
                                        "b", "q two", "doc two", List.of("neg two"), true)));
        ContrastiveBatch cb = ContrastiveBatch.of(b);
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 32)) {
            NvEmbedModel model = TinyModels.tiny(m, 0.1, 3);
            int before = m.getManagedArrays().size();
            GradCache gc = new GradCache(model, tok, 2, InfoNce.DEFAULT_TEMPERATURE);
            for (int step = 0; step < 2; step++) {
                try (NDManager s = m.newSubManager()) {
                    gc.step(s, cb, step);
                }
            }
            assertEquals(before, m.getManagedArrays().size(), "after 2 GradCache steps");
            new NvEmbedEmbedder(model, tok, m, 2)
                    .embedQueries("find", List.of("one query", "another", "a third one"));
            assertEquals(before, m.getManagedArrays().size(), "after an eval forward");
        }
    }
}
