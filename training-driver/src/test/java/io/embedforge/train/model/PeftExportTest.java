package io.embedforge.train.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsFile;
import io.embedforge.train.weights.SafetensorsWriter;
import io.embedforge.train.weights.SeededInitializer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Writes a Java-trained-style adapter (non-zero B) for the fixture base model, plus the hidden
 * states Java computes with it, into {@code target/peft-export/}. {@code
 * scripts/reference/check_java_adapter.py} then loads that folder with {@code
 * peft.PeftModel.from_pretrained} and compares. Here: the files have PEFT's layout.
 */
class PeftExportTest {

    static final Path OUT = Path.of("target", "peft-export");

    @Test
    void exportsAnAdapterPeftCanLoad() throws IOException, URISyntaxException {
        Path fixtures =
                Path.of(getClass().getResource("/fixtures/config.json").toURI()).getParent();
        MistralConfig config = MistralConfig.read(fixtures.resolve("config.json"));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsFile expected =
                        SafetensorsFile.open(fixtures.resolve("expected.safetensors"))) {
            NvEmbedModel model =
                    new NvEmbedModel(
                            config,
                            ReferenceFixturesTest.LORA,
                            AttentionMaskMode.BIDIRECTIONAL,
                            PoolingMode.LATENT_ATTENTION,
                            ReferenceFixturesTest.LATENT);
            ModelWeights.seedAll(model, 77);
            for (Parameter p : model.getParameters().values()) {
                if (p.getName().contains("lora_B")) {
                    p.setInitializer(
                            new SeededInitializer(
                                    SeededInitializer.Kind.NORMAL, 0.05, 77, p.getName()));
                }
            }
            try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(fixtures)) {
                ModelWeights.loadBase(model, base, DataType.FLOAT32);
                ModelWeights.initialize(model, m);
            }
            ModelWeights.saveTrainable(model, OUT, "fixtures");
            NDArray ids =
                    expected.toNDArray(m, "input_ids", DataType.FLOAT32)
                            .toType(DataType.INT64, false);
            NDArray mask = expected.toNDArray(m, "attention_mask", DataType.FLOAT32);
            NDArray pool = expected.toNDArray(m, "pool_mask", DataType.FLOAT32);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray hidden =
                    model.decoder().forward(ps, new NDList(ids, mask), false).singletonOrThrow();
            NDArray emb = model.forward(ps, new NDList(ids, mask, pool), false).singletonOrThrow();
            Map<String, HostTensor> out = new LinkedHashMap<>();
            out.put("hidden_java", HostTensor.of(hidden));
            out.put("emb_java", HostTensor.of(emb));
            SafetensorsWriter.write(OUT.resolve("java_outputs.safetensors"), out, Map.of());

            JsonNode cfg =
                    new ObjectMapper().readTree(OUT.resolve(ModelWeights.ADAPTER_CONFIG).toFile());
            assertEquals("LORA", cfg.get("peft_type").asText());
            assertEquals(7, cfg.get("target_modules").size());
            try (SafetensorsFile adapter =
                    SafetensorsFile.open(OUT.resolve(ModelWeights.ADAPTER_FILE))) {
                assertEquals(2 * 7 * config.numLayers(), adapter.names().size());
                assertTrue(
                        adapter.names().stream()
                                .allMatch(n -> n.startsWith("base_model.model.model.layers.")));
            }
        }
    }
}
