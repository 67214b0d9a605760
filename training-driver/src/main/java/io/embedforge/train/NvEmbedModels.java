package io.embedforge.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.embedforge.train.model.LatentAttentionConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds ready-to-use {@link NvEmbedModel}s: the tiny seeded default for demos and tests, or a real
 * base model from a local Hugging Face folder ({@code --base-model}, e.g. Mistral-7B-v0.1: {@code
 * config.json} plus single or sharded safetensors). Runs on the training driver; nothing is ever
 * downloaded.
 */
public final class NvEmbedModels {

    /** Latent head of the tiny model: NV-Embed's 512 latents and 8 heads, head width 32. */
    public static final LatentAttentionConfig TINY_LATENT =
            new LatentAttentionConfig(512, 256, 8, 32, 4, true);

    private NvEmbedModels() {}

    /**
     * The tiny default: {@link MistralConfig#tiny()} with every weight drawn from {@code seed}
     * (base weights frozen), the E5 tokenizer's vocabulary.
     */
    public static NvEmbedModel tiny(NDManager manager, ModelSpec spec, long seed)
            throws IOException {
        return tiny(manager, spec, seed, DataType.FLOAT32);
    }

    /**
     * The tiny default with the frozen base in {@code baseType} (float16 tests the GPU's precision
     * path on the CPU: the seeded float32 values rounded to float16).
     */
    public static NvEmbedModel tiny(NDManager manager, ModelSpec spec, long seed, DataType baseType)
            throws IOException {
        MistralConfig c = MistralConfig.tiny();
        NvEmbedModel model = build(c, spec, TINY_LATENT);
        ModelWeights.seedAll(model, seed);
        if (baseType != DataType.FLOAT32) {
            ModelWeights.castFrozen(model, baseType);
        }
        ModelWeights.initialize(model, manager);
        return model;
    }

    /**
     * Loads a base model from a Hugging Face folder and seeds the trainable parameters.
     *
     * @param manager owner of the arrays
     * @param folder holds {@code config.json} and the safetensors
     * @param spec adapter, mask and head
     * @param baseType float32 on CPU, float16 on GPU
     * @param seed seed for the trainable parameters
     * @throws IOException if the folder is incomplete or a tensor does not fit (names the file and
     *     tensor)
     */
    public static NvEmbedModel fromHuggingFace(
            NDManager manager, Path folder, ModelSpec spec, DataType baseType, long seed)
            throws IOException {
        MistralConfig c = MistralConfig.read(folder.resolve("config.json"));
        NvEmbedModel model = build(c, spec, null);
        ModelWeights.seedAll(model, seed);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(folder)) {
            ModelWeights.loadBase(model, ckpt, baseType);
            ModelWeights.initialize(model, manager);
        }
        return model;
    }

    private static NvEmbedModel build(
            MistralConfig c, ModelSpec spec, LatentAttentionConfig fallback) {
        LatentAttentionConfig latent =
                spec.latent() != null
                        ? spec.latent()
                        : fallback != null
                                ? fallback
                                : LatentAttentionConfig.nvEmbed(c.hiddenSize());
        return new NvEmbedModel(c, spec.lora(), spec.maskMode(), spec.pooling(), latent);
    }
}
