package io.embedforge.train.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.model.LatentAttentionPooling;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.NvEmbedModel;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Puts values into an {@link NvEmbedModel}'s parameters and saves the trainable ones. Every
 * parameter is named after its Hugging Face / PEFT / NV-Embed name, so each source becomes a
 * per-parameter {@link ai.djl.training.initializer.Initializer}; {@link #initialize} then creates
 * the arrays one at a time, streaming a base checkpoint tensor by tensor.
 *
 * <p>Precision plan: the frozen base is loaded as float32 on CPU and float16 on GPU (bf16
 * checkpoints are widened to float32 in Java first, see {@link SafetensorsFile}); trainable
 * parameters (LoRA, latent head) are always float32.
 *
 * <p>Trainable files: {@value #ADAPTER_FILE} with PEFT keys ({@code base_model.model.<name>}) and
 * {@value #ADAPTER_CONFIG} so {@code peft.PeftModel.from_pretrained} loads it; {@value
 * #LATENT_FILE} with NV-Embed's {@code latent_attention_model.*} keys.
 */
public final class ModelWeights {

    /** PEFT's adapter weights file. */
    public static final String ADAPTER_FILE = "adapter_model.safetensors";

    /** PEFT's adapter config file. */
    public static final String ADAPTER_CONFIG = "adapter_config.json";

    /** The latent-attention head's weights. */
    public static final String LATENT_FILE = "latent_attention.safetensors";

    /** The prefix PEFT puts before a wrapped model's parameter names. */
    public static final String PEFT_PREFIX = "base_model.model.";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelWeights() {}

    /**
     * Seeds every parameter: base weights Normal(0, 0.02) ({@code transformers}' default range),
     * norm weights 1, biases 0, LoRA A Uniform(+-1/sqrt(in)), LoRA B 0, latents Normal(0, 1),
     * latent head projections Uniform(+-1/sqrt(in)) as {@code torch.nn.Linear}.
     */
    public static void seedAll(Block model, long seed) {
        for (Parameter p : model.getParameters().values()) {
            String n = p.getName();
            long[] shape = p.getShape().getShape();
            SeededInitializer.Kind kind;
            double scale = 0;
            if (n.endsWith("norm.weight") || n.endsWith("norm_context.weight")) {
                kind = SeededInitializer.Kind.ONES;
            } else if (n.endsWith(".bias") || n.contains(".lora_B.")) {
                kind = SeededInitializer.Kind.ZEROS;
            } else if (n.contains(".lora_A.")
                    || n.startsWith(LatentAttentionPooling.PREFIX + "cross")) {
                kind = SeededInitializer.Kind.UNIFORM;
                scale = 1 / Math.sqrt(shape[1]);
            } else if (n.equals(LatentAttentionPooling.PREFIX + "latents")) {
                kind = SeededInitializer.Kind.NORMAL;
                scale = 1;
            } else {
                kind = SeededInitializer.Kind.NORMAL;
                scale = 0.02;
            }
            p.setInitializer(new SeededInitializer(kind, scale, seed, n));
        }
    }

    /**
     * Makes every frozen (base) parameter's initializer produce {@code type}: its float32 values
     * rounded (after {@link #seedAll}, before {@link #initialize}).
     */
    public static void castFrozen(Block model, DataType type) {
        for (Parameter p : model.getParameters().values()) {
            if (p.requiresGradient()) {
                continue;
            }
            Initializer f32 = p.getInitializer();
            p.setInitializer(
                    (manager, shape, t) -> {
                        NDArray a = f32.initialize(manager, shape, DataType.FLOAT32);
                        NDArray cast = a.toType(type, false);
                        a.close();
                        return cast;
                    });
        }
    }

    /**
     * Takes every frozen (base) parameter from a checkpoint. Names are matched with the {@code
     * model.} prefix of {@code MistralForCausalLM}, without it ({@code MistralModel}), or with
     * NV-Embed's {@code embedding_model.}; extra tensors such as {@code lm_head.weight} are
     * ignored.
     *
     * @param model the model, not yet initialised
     * @param ckpt the checkpoint
     * @param baseType float32 (CPU) or float16 (GPU)
     * @throws IOException if a needed tensor is missing, naming the checkpoint and the tensors
     */
    public static void loadBase(Block model, SafetensorsCheckpoint ckpt, DataType baseType)
            throws IOException {
        String from = "model.";
        String to;
        if (ckpt.contains("model.embed_tokens.weight")) {
            to = "model.";
        } else if (ckpt.contains("embed_tokens.weight")) {
            to = "";
        } else if (ckpt.contains("embedding_model.embed_tokens.weight")) {
            to = "embedding_model.";
        } else {
            throw new IOException(
                    "checkpoint "
                            + ckpt.location()
                            + " has no embedding tensor; looked for model.embed_tokens.weight,"
                            + " embed_tokens.weight and embedding_model.embed_tokens.weight");
        }
        List<String> missing = new ArrayList<>();
        for (Parameter p : model.getParameters().values()) {
            if (p.requiresGradient()) {
                continue;
            }
            String key = to + p.getName().substring(from.length());
            if (!ckpt.contains(key)) {
                missing.add(key);
                continue;
            }
            p.setInitializer((manager, shape, type) -> load(ckpt, manager, key, shape, baseType));
        }
        if (!missing.isEmpty()) {
            throw new IOException(
                    String.format(
                            Locale.ROOT,
                            "checkpoint %s is missing %d tensor(s) the model needs: %s",
                            ckpt.location(),
                            missing.size(),
                            missing.subList(0, Math.min(5, missing.size()))));
        }
    }

    private static NDArray load(
            SafetensorsCheckpoint ckpt, NDManager manager, String key, Shape shape, DataType type) {
        try {
            return ckpt.load(manager, key, shape.getShape(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Takes the trainable parameters from a folder written by {@link #saveTrainable}. The files
     * stay open until the returned handle is closed, which the caller does after {@link
     * #initialize}.
     *
     * @return the open files
     * @throws IOException if a file or tensor is missing or the adapter config disagrees with the
     *     model's LoRA settings
     */
    public static Closeable loadTrainable(NvEmbedModel model, Path dir) throws IOException {
        SafetensorsCheckpoint adapter = null;
        SafetensorsCheckpoint head = null;
        try {
            if (model.lora() != null) {
                checkAdapterConfig(dir.resolve(ADAPTER_CONFIG), model.lora());
                adapter = SafetensorsCheckpoint.open(dir.resolve(ADAPTER_FILE));
            }
            if (model.latentHead() != null) {
                head = SafetensorsCheckpoint.open(dir.resolve(LATENT_FILE));
            }
            for (Parameter p : model.getParameters().values()) {
                if (!p.requiresGradient()) {
                    continue;
                }
                boolean isLora = p.getName().contains(".lora_");
                String key = isLora ? PEFT_PREFIX + p.getName() : p.getName();
                SafetensorsCheckpoint source = isLora ? adapter : head;
                if (!source.contains(key)) {
                    throw new IOException(
                            "checkpoint " + source.location() + " is missing tensor " + key);
                }
                p.setInitializer((m, shape, type) -> load(source, m, key, shape, DataType.FLOAT32));
            }
        } catch (IOException | RuntimeException e) {
            closeAll(adapter, head);
            throw e;
        }
        SafetensorsCheckpoint a = adapter;
        SafetensorsCheckpoint h = head;
        return () -> closeAll(a, h);
    }

    private static void closeAll(SafetensorsCheckpoint... files) throws IOException {
        for (SafetensorsCheckpoint f : files) {
            if (f != null) {
                f.close();
            }
        }
    }

    private static void checkAdapterConfig(Path file, LoraConfig lora) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException("adapter config " + file + " does not exist");
        }
        JsonNode c = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        int r = c.path("r").asInt(-1);
        double alpha = c.path("lora_alpha").asDouble(-1);
        if (r != lora.rank() || alpha != lora.alpha()) {
            throw new IOException(
                    String.format(
                            Locale.ROOT,
                            "adapter config %s has r=%d lora_alpha=%s but the model is built with"
                                    + " r=%d alpha=%s",
                            file,
                            r,
                            alpha,
                            lora.rank(),
                            lora.alpha()));
        }
    }

    /**
     * Creates every parameter's array from its initializer (streaming checkpoints tensor by
     * tensor).
     *
     * @throws IOException if a checkpoint tensor cannot be read
     */
    public static void initialize(Block model, NDManager manager) throws IOException {
        try {
            model.initialize(
                    manager, DataType.FLOAT32, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Writes the trainable parameters (float32) to {@code dir}.
     *
     * @param model an initialised model
     * @param dir destination folder, created if absent
     * @param baseModel what to record as {@code base_model_name_or_path}
     * @throws IOException if writing fails
     */
    public static void saveTrainable(NvEmbedModel model, Path dir, String baseModel)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, HostTensor> lora = new LinkedHashMap<>();
        Map<String, HostTensor> latent = new LinkedHashMap<>();
        for (Parameter p : model.getParameters().values()) {
            if (!p.requiresGradient()) {
                continue;
            }
            if (p.getName().contains(".lora_")) {
                lora.put(PEFT_PREFIX + p.getName(), HostTensor.of(p.getArray()));
            } else {
                latent.put(p.getName(), HostTensor.of(p.getArray()));
            }
        }
        Map<String, String> meta = Map.of("format", "pt");
        if (model.lora() != null) {
            SafetensorsWriter.write(dir.resolve(ADAPTER_FILE), lora, meta);
            Files.writeString(
                    dir.resolve(ADAPTER_CONFIG),
                    adapterConfig(model.lora(), baseModel),
                    StandardCharsets.UTF_8);
        }
        if (model.latentHead() != null) {
            SafetensorsWriter.write(dir.resolve(LATENT_FILE), latent, meta);
        }
    }

    static String adapterConfig(LoraConfig lora, String baseModel) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "FEATURE_EXTRACTION");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", lora.rank());
        c.put("lora_alpha", lora.alpha());
        c.put("lora_dropout", lora.dropout());
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", false);
        c.put("init_lora_weights", true);
        c.putArray("target_modules")
                .addAll(new TreeSet<>(lora.targets()).stream().map(c::textNode).toList());
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c);
    }
}
