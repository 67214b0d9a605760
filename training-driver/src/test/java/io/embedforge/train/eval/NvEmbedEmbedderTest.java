package io.embedforge.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Length-sorted chunking returns each text's own vector, in input order, equal to embedding it
 * alone (no padding at all) up to float rounding.
 */
class NvEmbedEmbedderTest {

    /** Lengths alternate long/short so that sorting reorders them across chunks. */
    static final List<String> TEXTS =
            List.of(
                    "stock markets fell sharply on tuesday after the quarterly report surprised",
                    "hi",
                    "the cat sat on the mat and looked at the dog across the quiet street",
                    "a short one",
                    "ok",
                    "rain is expected in the north of the country later this week, forecasters said",
                    "the same length as another");

    @Test
    void sortedChunksGiveEachTextItsOwnVectorInInputOrder() throws IOException {
        TrainConfig c = ModelVariantTest.tiny();
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = Trainer.tokenizer(c)) {
            NvEmbedModel model = Trainer.buildModel(m, c, ModelVariant.NV_EMBED);
            float[][] chunked = new NvEmbedEmbedder(model, tok, m, 3).embedDocuments(TEXTS);
            float[][] queries =
                    new NvEmbedEmbedder(model, tok, m, 2).embedQueries("Find the topic", TEXTS);
            assertEquals(TEXTS.size(), chunked.length);
            for (int i = 0; i < TEXTS.size(); i++) {
                NvEmbedEmbedder alone = new NvEmbedEmbedder(model, tok, m, 1);
                float[] single = alone.embedDocuments(List.of(TEXTS.get(i)))[0];
                float[] query = alone.embedQueries("Find the topic", List.of(TEXTS.get(i)))[0];
                assertTrue(ModelVariantTest.maxDiff(single, chunked[i]) < 1e-5, TEXTS.get(i));
                assertTrue(ModelVariantTest.maxDiff(query, queries[i]) < 1e-5, TEXTS.get(i));
                for (int j = 0; j < TEXTS.size(); j++) {
                    if (j != i) {
                        assertTrue(
                                ModelVariantTest.maxDiff(single, chunked[j]) > 1e-4,
                                "vector of " + TEXTS.get(j) + " equals that of " + TEXTS.get(i));
                    }
                }
            }
        }
    }
}
