package io.embedforge.train.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.data.StageReader;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.data.TrainingExample;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.LatentAttentionConfig;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code export}: the newest good checkpoint of a run as a folder a Python user can load:
 *
 * <ul>
 *   <li>{@code adapter_config.json}, {@code adapter_model.safetensors}: PEFT LoRA (PEFT key names);
 *   <li>{@code latent_attention.safetensors}: the latent-attention head (NV-Embed names);
 *   <li>{@code base/}: for the seeded {@code tiny} base, the base model itself ({@code
 *       config.json}, {@code model.safetensors}, {@code tokenizer.json}), since it exists nowhere
 *       else; for a Hugging Face base its path is recorded (the weights are not copied);
 *   <li>{@code merged/} (with {@code --merged}): base with {@code W + (alpha/r) B A} folded in, a
 *       {@code transformers}-loadable folder, plus the head;
 *   <li>{@code embedforge.json}: everything a loader needs (base, LoRA, head shape, pooling,
 *       template, max length, instructions); {@code README.md}: the model card.
 * </ul>
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description =
                "Export a trained run as PEFT adapter + latent head + model card"
                        + " (+ merged weights).")
public final class ExportCommand implements Callable<Integer> {

    /** Export metadata file. */
    public static final String META = "embedforge.json";

    /** Sub-folder with the tiny base model. */
    public static final String BASE_DIR = "base";

    /** Sub-folder with merged weights. */
    public static final String MERGED_DIR = "merged";

    /** What {@code train} records in the run folder (config and blend paths). */
    public static final String RUN_INFO = "run-info.json";

    /** At most this many rows per stage are scanned for the card's instruction list. */
    static final int INSTRUCTION_SCAN_ROWS = 200_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--config", required = true, description = "the training config of the run")
    Path config;

    @Option(names = "--run", required = true, description = "the training run folder")
    Path run;

    @Option(names = "--out", required = true, description = "destination folder")
    Path out;

    @Option(
            names = "--blend",
            description =
                    "blend folder (stage1/, stage2/) to list the task instructions in the card;"
                            + " default: the one recorded in the run's "
                            + RUN_INFO)
    Path blend;

    @Option(names = "--merged", description = "also write merged full weights to <out>/merged")
    boolean merged;

    @Override
    public Integer call() throws Exception {
        TrainConfig c = TrainConfig.read(config);
        if (!Files.isDirectory(run)) {
            throw new IOException("run folder " + run + " does not exist (or is not a folder)");
        }
        Path ckDir = run.resolve("checkpoints");
        Checkpoints.Loaded ckpt =
                new Checkpoints(ckDir, System.err)
                        .latestGood()
                        .orElseThrow(
                                () ->
                                        new IOException(
                                                "no good checkpoint in "
                                                        + ckDir
                                                        + " (none present, or all corrupt or"
                                                        + " partial); nothing to export"));
        Map<String, Map<String, Long>> instructions = instructions(blendDir());
        Files.createDirectories(out);
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = Trainer.buildModel(m, c);
            Path weights = ckpt.folder().resolve(Checkpoints.WEIGHTS);
            try {
                Trainer.loadTrainable(m, model, weights);
            } catch (IOException e) {
                throw new IOException(
                        "checkpoint "
                                + ckpt.folder()
                                + " does not match the base model "
                                + c.baseModel()
                                + " configured in "
                                + config
                                + ": "
                                + e.getMessage(),
                        e);
            }
            boolean tiny = "tiny".equals(c.baseModel());
            String baseRef = tiny ? BASE_DIR : c.baseModel();
            ModelWeights.saveTrainable(model, out, baseRef);
            if (tiny) {
                writeBase(model, out.resolve(BASE_DIR), frozen(model));
            }
            if (merged) {
                Path md = out.resolve(MERGED_DIR);
                writeBase(model, md, mergedWeights(m, model));
                if (!tiny) {
                    copyIfExists(Path.of(c.baseModel()).resolve("tokenizer.json"), md);
                }
                Files.copy(
                        out.resolve(ModelWeights.LATENT_FILE),
                        md.resolve(ModelWeights.LATENT_FILE),
                        StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(
                    out.resolve(META),
                    meta(c, model, ckpt, tiny, merged, instructions),
                    StandardCharsets.UTF_8);
        }
        Files.writeString(
                out.resolve("README.md"),
                card(c, ckpt, "tiny".equals(c.baseModel()), merged, instructions),
                StandardCharsets.UTF_8);
        System.out.println("exported " + ckpt.folder() + " to " + out);
        return 0;
    }

    private Path blendDir() throws IOException {
        if (blend != null) {
            return blend;
        }
        Path info = run.resolve(RUN_INFO);
        if (Files.exists(info)) {
            JsonNode n = JSON.readTree(info.toFile());
            if (n.hasNonNull("blend")) {
                return Path.of(n.get("blend").asText());
            }
        }
        return null;
    }

    /** Per stage, instruction to number of rows (of the first {@link #INSTRUCTION_SCAN_ROWS}). */
    static Map<String, Map<String, Long>> instructions(Path blendDir) throws IOException {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        if (blendDir == null) {
            return out;
        }
        for (String stage : List.of("stage1", "stage2")) {
            Path dir = blendDir.resolve(stage);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            Map<String, Long> counts = new TreeMap<>();
            long rows = 0;
            try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
                while (r.hasNext() && rows < INSTRUCTION_SCAN_ROWS) {
                    TrainingBatch b = r.next();
                    for (TrainingExample e : b.examples()) {
                        counts.merge(e.instruction(), 1L, Long::sum);
                        rows++;
                    }
                }
            }
            out.put(stage, counts);
        }
        return out;
    }

    /** Frozen (base) parameters by Hugging Face name. */
    private static Map<String, HostTensor> frozen(NvEmbedModel model) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (Parameter p : model.getParameters().values()) {
            if (!p.requiresGradient()) {
                t.put(p.getName(), HostTensor.of(p.getArray()));
            }
        }
        return t;
    }

    /** Frozen parameters with each adapted weight replaced by {@code W + (alpha/r) B A}. */
    static Map<String, HostTensor> mergedWeights(NDManager m, NvEmbedModel model) {
        Map<String, Parameter> all = new LinkedHashMap<>();
        for (Parameter p : model.getParameters().values()) {
            all.put(p.getName(), p);
        }
        double scaling = model.lora() == null ? 0 : model.lora().scaling();
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (Parameter p : all.values()) {
            if (p.requiresGradient()) {
                continue;
            }
            String n = p.getName();
            String stem = n.endsWith(".weight") ? n.substring(0, n.length() - 7) : null;
            Parameter a = stem == null ? null : all.get(stem + ".lora_A.weight");
            Parameter b = stem == null ? null : all.get(stem + ".lora_B.weight");
            if (a == null || b == null) {
                t.put(n, HostTensor.of(p.getArray()));
                continue;
            }
            try (NDManager sub = m.newSubManager()) {
                NDArray delta = b.getArray().matMul(a.getArray()).mul(scaling);
                delta.attach(sub);
                NDArray sum = p.getArray().toType(DataType.FLOAT32, false).add(delta);
                sum.attach(sub);
                t.put(n, HostTensor.of(sum));
            }
        }
        return t;
    }

    /** A transformers-loadable folder: config.json, model.safetensors, tokenizer.json (tiny). */
    private static void writeBase(NvEmbedModel model, Path dir, Map<String, HostTensor> weights)
            throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        ObjectNode cfg = (ObjectNode) JSON.readTree(model.decoder().config().toJson());
        cfg.put("is_causal", false);
        cfg.put("torch_dtype", "float32");
        cfg.putNull("sliding_window");
        Files.writeString(
                dir.resolve("config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg),
                StandardCharsets.UTF_8);
        if (model.decoder().config().equals(MistralConfig.tiny())) {
            try (InputStream in =
                    NvEmbedTokenizer.class.getResourceAsStream(
                            NvEmbedTokenizer.E5_TOKENIZER_RESOURCE)) {
                if (in == null) {
                    throw new IOException(
                            "classpath resource "
                                    + NvEmbedTokenizer.E5_TOKENIZER_RESOURCE
                                    + " is missing");
                }
                Files.copy(in, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void copyIfExists(Path file, Path dir) throws IOException {
        if (Files.exists(file)) {
            Files.copy(
                    file,
                    dir.resolve(file.getFileName().toString()),
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String meta(
            TrainConfig c,
            NvEmbedModel model,
            Checkpoints.Loaded ckpt,
            boolean tiny,
            boolean merged,
            Map<String, Map<String, Long>> instructions)
            throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "embedforge-nv-embed/1");
        n.put("base_model", c.baseModel());
        n.put("base_model_folder", tiny ? BASE_DIR : c.baseModel());
        n.put("base_model_exported", tiny);
        if (tiny) {
            n.put("model_seed", c.modelSeed());
        }
        n.put("merged_folder", merged ? MERGED_DIR : null);
        n.put("attention", "bidirectional");
        n.set("decoder_config", JSON.readTree(model.decoder().config().toJson()));
        LoraConfig lora = model.lora();
        ObjectNode l = n.putObject("lora");
        l.put("r", lora.rank());
        l.put("alpha", lora.alpha());
        l.put("scaling", lora.scaling());
        LatentAttentionConfig h = model.latentHead().config();
        ObjectNode head = n.putObject("latent_attention");
        head.put("num_latents", h.numLatents());
        head.put("latent_dim", h.latentDim());
        head.put("heads", h.numHeads());
        head.put("head_dim", h.headDim());
        head.put("ff_mult", h.ffMult());
        head.put("gated", h.gated());
        head.put("layer_norm_eps", 1e-5);
        n.put(
                "pooling",
                "latent attention, then masked mean over non-BOS, non-instruction tokens,"
                        + " then L2 normalisation");
        n.put("query_template", EmbeddingInput.QUERY_TEMPLATE + "{query}");
        n.put("document_template", "{document}");
        n.put("bos_token_id", model.decoder().config().bosTokenId());
        n.put("eos_token_id", model.decoder().config().eosTokenId());
        n.put("pad_token_id", 0);
        n.put("max_length", c.maxLength());
        n.put("temperature", c.temperature());
        ObjectNode ck = n.putObject("checkpoint");
        ck.put("folder", ckpt.folder().getFileName().toString());
        ck.put("stage", ckpt.state().stage());
        ck.put("stage_step", ckpt.state().stageStep());
        ck.put("global_step", ckpt.state().globalStep());
        ObjectNode ins = n.putObject("instructions");
        for (Map.Entry<String, Map<String, Long>> e : instructions.entrySet()) {
            ArrayNode a = ins.putArray(e.getKey());
            e.getValue().keySet().forEach(a::add);
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }

    private static String card(
            TrainConfig c,
            Checkpoints.Loaded ckpt,
            boolean tiny,
            boolean merged,
            Map<String, Map<String, Long>> instructions) {
        StringBuilder s = new StringBuilder();
        s.append(
                """
                # EmbedForge NV-Embed model

                Trained by EmbedForge (two-stage contrastive instruction tuning, NV-Embed recipe).
                Base model: `%s`. Checkpoint: stage %d, step %d (global step %d).

                ## Files

                - `adapter_config.json`, `adapter_model.safetensors`: PEFT LoRA (r 16, alpha 32) on
                  q, k, v, o, gate, up, down; keys as PEFT writes them
                  (`base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`).
                - `latent_attention.safetensors`: the latent-attention pooling head, NV-Embed names
                  (`latent_attention_model.*`).
                - `embedforge.json`: base model, LoRA and head shapes, template, max length,
                  instructions, checkpoint (machine-readable version of this card).
                """
                        .formatted(
                                c.baseModel(),
                                ckpt.state().stage(),
                                ckpt.state().stageStep(),
                                ckpt.state().globalStep()));
        if (tiny) {
            s.append(
                    """
                    - `base/`: the base model. `tiny` is a seeded random Mistral (hidden 256,
                      2 layers, 4/2 heads of 64, vocab 30522) that exists nowhere else, so its
                      weights are exported here (`config.json`, `model.safetensors`) together with
                      its tokenizer (`tokenizer.json`, the E5-small-v2 WordPiece vocabulary;
                      `[CLS]`=101 is BOS, `[SEP]`=102 is EOS). It can also be rebuilt bit for bit
                      in Java with `NvEmbedModels.tiny(manager, spec, %d)` (model seed).
                    """
                            .formatted(c.modelSeed()));
        } else {
            s.append(
                    """
                    - The base model is not copied: load it from `%s` (the `config.json` and
                      safetensors the run was trained on) and put the adapter on top.
                    """
                            .formatted(c.baseModel()));
        }
        if (merged) {
            s.append(
                    """
                    - `merged/`: base weights with the adapter folded in (`W + (alpha/r) B A`,
                      float32), loadable with `MistralForCausalLM.from_pretrained` (no PEFT
                      needed; `lm_head` is absent and not used), plus the head.
                    """);
        }
        s.append(
                """

                ## Use

                ```python
                from transformers import MistralForCausalLM
                from peft import PeftModel
                base = MistralForCausalLM.from_pretrained("%s", attn_implementation="eager")
                base.config.is_causal = False          # NV-Embed: bidirectional attention
                for layer in base.model.layers:
                    layer.self_attn.is_causal = False
                model = PeftModel.from_pretrained(base, "<this folder>").eval()
                hidden = model.base_model.model.model(input_ids=ids, attention_mask=mask).last_hidden_state
                ```

                `scripts/reference/check_export.py` in the EmbedForge repository is a complete,
                tested loader (tokenisation, latent-attention head, pooling).

                Inputs: queries as `Instruct: {instruction}\\nQuery: {query}`, documents as-is (no
                instruction). Token ids are BOS + text tokens + EOS (no other special tokens), text
                truncated to %d - 2 tokens, right-padded with 0. Pooling: the decoder's last hidden
                states go through the latent-attention head (cross-attention to 512 trainable
                latents, then a GEGLU feed-forward, both residual); the output is averaged over the
                pooling mask (attention mask with BOS and the instruction tokens, i.e. those
                starting inside `Instruct: ...\\nQuery: `, set to 0) and L2-normalised. Compare
                embeddings by cosine similarity (training temperature %s).
                """
                        .formatted(
                                tiny ? "<this folder>/base" : c.baseModel(),
                                c.maxLength(),
                                c.temperature()));
        s.append("\n## Instructions used in training\n\n");
        if (instructions.isEmpty()) {
            s.append(
                    "Not known (the run records no blend folder and `--blend` was not given).\n"
                            + "Use the template above with the task's instruction.\n");
        } else {
            for (Map.Entry<String, Map<String, Long>> e : instructions.entrySet()) {
                s.append("### ").append(e.getKey()).append("\n\n");
                s.append("| instruction | rows |\n| --- | --- |\n");
                for (Map.Entry<String, Long> i : e.getValue().entrySet()) {
                    String text =
                            i.getKey().isBlank() ? "(none: query embedded as is)" : i.getKey();
                    s.append(
                            String.format(
                                    Locale.ROOT,
                                    "| %s | %d |%n",
                                    text.replace("|", "\\|"),
                                    i.getValue()));
                }
                s.append('\n');
            }
        }
        return s.toString();
    }

    /**
     * Loads an exported folder as a model: base from {@code base/} (tiny) or the recorded base
     * path, adapter and head on top; or with {@code merged} the merged weights and no adapter.
     *
     * @throws IOException if the folder is incomplete
     */
    public static NvEmbedModel load(NDManager m, Path dir, boolean merged) throws IOException {
        JsonNode meta = JSON.readTree(dir.resolve(META).toFile());
        Path baseDir =
                merged
                        ? dir.resolve(MERGED_DIR)
                        : meta.get("base_model_exported").asBoolean()
                                ? dir.resolve(BASE_DIR)
                                : Path.of(meta.get("base_model").asText());
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
