package io.embedforge.train.export;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.settings.InvalidFileException;
import io.embedforge.train.FileTrees;
import io.embedforge.train.data.StageReader;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.data.TrainingExample;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.DecoderFamily;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a checkpoint as a folder a Python user can load:
 *
 * <ul>
 *   <li>{@code adapter_config.json}, {@code adapter_model.safetensors}: PEFT LoRA (PEFT key names);
 *   <li>{@code latent_attention.safetensors}: the latent-attention head (NV-Embed names);
 *   <li>{@code base/}: for the seeded {@code tiny} base, the base model itself ({@code
 *       config.json}, {@code model.safetensors}, {@code tokenizer.json}), since it exists nowhere
 *       else; for a Hugging Face base its path is recorded (the weights are not copied);
 *   <li>{@code merged/} (with {@code merged}): base with {@code W + (alpha/r) B A} folded in
 *       ({@link LoraMerge}), a {@code transformers}-loadable folder, plus the head;
 *   <li>{@code embedforge.json} ({@link ExportMetadata}): everything a loader needs (base, LoRA,
 *       head shape, pooling, template, max length, instructions); {@code README.md} ({@link
 *       ModelCard}): the model card.
 * </ul>
 */
public final class Exporter {
    /** Export metadata file. */
    public static final String META = "embedforge.json";

    /** Sub-folder with the tiny base model. */
    public static final String BASE_DIR = "base";

    /** Sub-folder with merged weights. */
    public static final String MERGED_DIR = "merged";

    /** At most this many rows per stage are scanned for the card's instruction list. */
    static final int INSTRUCTION_SCAN_ROWS = 200_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Exporter() {}

    /**
     * Exports {@code ckpt} of a run trained with {@code c} (read from {@code config}) to {@code
     * out}; the card lists the instructions of {@code blendDir} (null: unknown).
     */
    public static void export(
            TrainConfig c,
            Path config,
            Checkpoints.Loaded ckpt,
            Path out,
            boolean merged,
            Path blendDir)
            throws IOException {
        Map<String, Map<String, Long>> instructions = instructions(blendDir);
        Files.createDirectories(out);
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = Trainer.buildModel(m, c);
            Path weights = ckpt.folder().resolve(Checkpoints.WEIGHTS);
            try {
                Trainer.loadTrainable(m, model, weights);
            } catch (IOException e) {
                throw new InvalidFileException(
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
            // absolute, so PEFT finds the base from any current directory
            Path basePath = tiny ? out.resolve(BASE_DIR) : Path.of(c.baseModel());
            ModelWeights.saveTrainable(
                    model, out, basePath.toAbsolutePath().normalize().toString());
            if (tiny) {
                writeBase(model, out.resolve(BASE_DIR), LoraMerge.frozen(model));
            }
            if (merged) {
                Path md = out.resolve(MERGED_DIR);
                writeBase(model, md, LoraMerge.mergedWeights(m, model));
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
                    ExportMetadata.meta(c, model, ckpt, tiny, merged, instructions),
                    StandardCharsets.UTF_8);
            SentenceTransformersFiles.write(
                    out,
                    basePath.resolve("tokenizer.json"),
                    model.decoder().config().bosTokenId(),
                    model.decoder().config().eosTokenId(),
                    c.maxLength(),
                    instructions);
        }
        Files.writeString(
                out.resolve("README.md"),
                ModelCard.card(
                        c,
                        ckpt,
                        "tiny".equals(c.baseModel()),
                        merged,
                        instructions,
                        ModelCard.Header.of(c, blendDir)),
                StandardCharsets.UTF_8);
        FileTrees.readableByAll(out);
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

    /** A transformers-loadable folder: config.json, model.safetensors, tokenizer.json (tiny). */
    private static void writeBase(NvEmbedModel model, Path dir, Map<String, HostTensor> weights)
            throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        ObjectNode cfg = (ObjectNode) JSON.readTree(model.decoder().config().toJson());
        cfg.put("is_causal", false);
        cfg.put("torch_dtype", "float32");
        // lm_head is not exported (an embedding model has no use for it): tied to the input
        // embedding, transformers loads the folder without reporting lm_head.weight MISSING
        cfg.put("tie_word_embeddings", true);
        if (model.decoder().config().family() == DecoderFamily.MISTRAL) {
            cfg.putNull("sliding_window");
        }
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
}
