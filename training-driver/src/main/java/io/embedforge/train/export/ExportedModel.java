package io.embedforge.train.export;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.LatentAttentionConfig;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Path;

/** Reads an exported folder back as a model (tests, evaluation of an export). */
public final class ExportedModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExportedModel() {}

    /**
     * Loads an exported folder as a model: base from {@code base/} (tiny) or the recorded base
     * path, adapter and head on top; or with {@code merged} the merged weights and no adapter.
     *
     * @throws IOException if the folder is incomplete
     */
    public static NvEmbedModel load(NDManager m, Path dir, boolean merged) throws IOException {
        JsonNode meta = JSON.readTree(dir.resolve(Exporter.META).toFile());
        Path baseDir =
                merged
                        ? dir.resolve(Exporter.MERGED_DIR)
                        : meta.get("base_model_exported").asBoolean()
                                ? dir.resolve(Exporter.BASE_DIR)
                                : Path.of(meta.get("base_model_folder").asText());
        MistralConfig config = MistralConfig.read(baseDir.resolve("config.json"));
        JsonNode h = meta.get("latent_attention");
        LatentAttentionConfig head =
                new LatentAttentionConfig(
                        h.get("num_latents").asInt(),
                        h.get("latent_dim").asInt(),
                        h.get("heads").asInt(),
                        h.get("head_dim").asInt(),
                        h.get("ff_mult").asInt(),
                        h.get("gated").asBoolean());
        LoraConfig nv = LoraConfig.nvEmbed();
        LoraConfig lora =
                merged
                        ? null
                        : new LoraConfig(
                                meta.get("lora").get("r").asInt(),
                                meta.get("lora").get("alpha").asDouble(),
                                0,
                                nv.targets());
        NvEmbedModel model =
                new NvEmbedModel(
                        config,
                        lora,
                        AttentionMaskMode.BIDIRECTIONAL,
                        PoolingMode.LATENT_ATTENTION,
                        head);
        ModelWeights.seedAll(model, 0);
        try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(baseDir);
                var trainable = ModelWeights.loadTrainable(model, merged ? baseDir : dir)) {
            ModelWeights.loadBase(model, base, DataType.FLOAT32);
            ModelWeights.initialize(model, m);
        }
        return model;
    }
}
