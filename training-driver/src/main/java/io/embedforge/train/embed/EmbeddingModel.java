package io.embedforge.train.embed;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.settings.InvalidFileException;
import io.embedforge.train.export.ExportedModel;
import io.embedforge.train.export.Exporter;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model {@code embed} uses, from an export folder ({@code embedforge.json}: merged weights if
 * exported, else base + adapter + head) or a training run folder ({@code run-info.json}: its config
 * and newest good checkpoint), with the tokenizer it was trained with.
 *
 * @param model the model (owned by the manager it was loaded with)
 * @param tokenizer its tokenizer (closed by the caller)
 * @param source what was loaded, for the log and the manifest
 */
public record EmbeddingModel(NvEmbedModel model, NvEmbedTokenizer tokenizer, String source) {
    /** What {@code train} records in a run folder. */
    public static final String RUN_INFO = "run-info.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Loads from {@code dir}; a folder that is neither kind is a user error. */
    public static EmbeddingModel load(NDManager m, Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve(Exporter.META))) {
            return fromExport(m, dir);
        }
        if (Files.isRegularFile(dir.resolve(RUN_INFO))) {
            return fromRun(m, dir);
        }
        throw new InvalidFileException(
                "--model "
                        + dir
                        + " is neither an export folder (no "
                        + Exporter.META
                        + ") nor a training run folder (no "
                        + RUN_INFO
                        + ")");
    }

    private static EmbeddingModel fromExport(NDManager m, Path dir) throws IOException {
        JsonNode meta = JSON.readTree(dir.resolve(Exporter.META).toFile());
        boolean merged = meta.hasNonNull("merged_folder");
        Path decoder =
                merged
                        ? dir.resolve(meta.get("merged_folder").asText())
                        : meta.get("base_model_exported").asBoolean()
                                ? dir.resolve(meta.get("base_model_folder").asText())
                                : Path.of(meta.get("base_model_folder").asText());
        Path tokenizer = dir.resolve("tokenizer.json");
        if (!Files.exists(tokenizer)) {
            tokenizer = decoder.resolve("tokenizer.json");
        }
        NvEmbedModel model = ExportedModel.load(m, dir, merged);
        NvEmbedTokenizer tok =
                NvEmbedTokenizer.open(
                        tokenizer,
                        MistralConfig.read(decoder.resolve("config.json")),
                        meta.get("max_length").asInt());
        return new EmbeddingModel(
                model, tok, "export " + dir + (merged ? " (merged weights)" : " (adapter)"));
    }

    private static EmbeddingModel fromRun(NDManager m, Path dir) throws IOException {
        JsonNode info = JSON.readTree(dir.resolve(RUN_INFO).toFile());
        if (!info.hasNonNull("config")) {
            throw new InvalidFileException(dir.resolve(RUN_INFO) + " names no training config");
        }
        TrainConfig c = TrainConfig.read(Path.of(info.get("config").asText()));
        Path ckDir = dir.resolve("checkpoints");
        Checkpoints.Loaded ckpt =
                new Checkpoints(ckDir, System.err)
                        .latestGood()
                        .orElseThrow(
                                () ->
                                        new InvalidFileException(
                                                "no good checkpoint in "
                                                        + ckDir
                                                        + " to embed with"));
        NvEmbedModel model = Trainer.buildModel(m, c);
        Trainer.loadTrainable(m, model, ckpt.folder().resolve(Checkpoints.WEIGHTS));
        return new EmbeddingModel(model, Trainer.tokenizer(c), "run checkpoint " + ckpt.folder());
    }

    /**
     * The newest good checkpoint of run folder {@code run}; none is a user error ending with {@code
     * consequence}.
     */
    public static Checkpoints.Loaded latestCheckpoint(Path run, String consequence)
            throws IOException {
        Path ckDir = run.resolve("checkpoints");
        return new Checkpoints(ckDir, System.err)
                .latestGood()
                .orElseThrow(
                        () ->
                                new InvalidFileException(
                                        "no good checkpoint in "
                                                + ckDir
                                                + " (none present, or all corrupt or partial); "
                                                + consequence));
    }
}
