package io.embedforge.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.data.ContractParquet;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches read and tokenised once (ablate) train exactly as batches streamed by {@code train}. */
class StageBatchesTest {

    @TempDir Path dir;

    @Test
    void sharedBatchesTrainExactlyAsStreamedOnes() throws IOException {
        Path blend = dir.resolve("blend");
        ContractParquet.writeStage(blend.resolve("stage1"), 1, 4, 2, 2);
        ContractParquet.writeStage(blend.resolve("stage2"), 2, 3, 2, 1);
        TrainConfig c = TrainerTest.tinyConfig().withMaxSteps(3, 2);
        PrintStream out =
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Path streamed = dir.resolve("streamed");
        Path shared = dir.resolve("shared");
        try (NDManager m = NDManager.newBaseManager()) {
            new Trainer(c, blend, streamed, out).run(m, false, 0);
        }
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = Trainer.tokenizer(c)) {
            StageBatches batches = StageBatches.shared(blend, c, tok);
            assertEquals(4, batches.count(1));
            new Trainer(c, batches, ModelVariant.NV_EMBED, shared, out).run(m, false, 0);
        }
        List<String> a = Files.readAllLines(streamed.resolve("metrics.jsonl"));
        List<String> b = Files.readAllLines(shared.resolve("metrics.jsonl"));
        assertEquals(5, a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(field(a.get(i), "loss"), field(b.get(i), "loss"), "step " + (i + 1));
            assertEquals(field(a.get(i), "batch_index"), field(b.get(i), "batch_index"));
            assertTrue(b.get(i).contains("\"data_seconds\":0.0"), b.get(i));
        }
        for (String f : List.of("adapter_model.safetensors", "latent_attention.safetensors")) {
            try (SafetensorsCheckpoint x =
                            SafetensorsCheckpoint.open(
                                    streamed.resolve("stage2-model").resolve(f));
                    SafetensorsCheckpoint y =
                            SafetensorsCheckpoint.open(shared.resolve("stage2-model").resolve(f))) {
                assertEquals(x.names(), y.names());
                for (String n : x.names()) {
                    assertArrayEquals(x.readFloats(n), y.readFloats(n), n);
                }
            }
        }
    }

    @Test
    void sharedBatchesNeedAStepBudget() throws IOException {
        Path blend = dir.resolve("blend");
        ContractParquet.writeStage(blend.resolve("stage1"), 1, 2, 2, 1);
        ContractParquet.writeStage(blend.resolve("stage2"), 2, 2, 2, 1);
        TrainConfig c = TrainerTest.tinyConfig().withMaxSteps(2, 0);
        try (NvEmbedTokenizer tok = Trainer.tokenizer(c)) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> StageBatches.shared(blend, c, tok));
            assertEquals("stage2_max_steps=0: shared batches need a step cap", e.getMessage());
        }
    }

    private static String field(String json, String key) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get(key).toString();
    }
}
