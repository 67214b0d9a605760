package io.embedforge.train.loop;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.embedforge.settings.Check;
import io.embedforge.settings.InvalidFileException;
import io.embedforge.settings.UserError;
import io.embedforge.train.data.TrainingExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Training settings, read from {@code conf/train-7b.yaml} (the paper's values) or {@code
 * conf/train-tiny.yaml} (demo and tests). Keys are the snake_case of the components; unknown keys
 * are an error so a typo does not silently train with a default.
 *
 * @param baseModel {@code tiny} for the seeded tiny model, else a Hugging Face folder; a leading
 *     {@code ~/} is the user's home (so a shared config can name a per-user cache folder)
 * @param modelSeed seed of the tiny base weights and of the trainable initialisation
 * @param maxLength token limit per sequence, BOS and EOS included
 * @param loraDropout dropout on the LoRA input
 * @param temperature InfoNCE temperature
 * @param chunkSize sequences per GradCache forward chunk
 * @param activationCheckpointing {@code none} (the re-run of a chunk keeps every layer's graph
 *     until its backward) or {@code layer} (it keeps each layer's input and re-runs one layer at a
 *     time: less memory, one more forward; docs/gpu.md, "Activation memory")
 * @param optimizer {@code adam} or {@code adamw}
 * @param weightDecay decoupled weight decay (AdamW only)
 * @param beta1 Adam beta1
 * @param beta2 Adam beta2
 * @param epsilon Adam epsilon
 * @param clipNorm clip the global gradient norm to this (0 = off)
 * @param warmupSteps linear warm-up steps, then linear decay to 0 at the end of the stage
 * @param batchSize expected examples per batch (blend decides; a different size is reported)
 * @param maxNegatives hard negatives used per row, the first (best-ranked) ones of the up to 7
 *     blend wrote: 7 = all (the paper); fewer is a compute budget (CPU runs)
 * @param stage1Lr peak learning rate of stage 1
 * @param stage2Lr peak learning rate of stage 2
 * @param stage1MaxSteps cap on stage 1 steps (0 = whole stage)
 * @param stage2MaxSteps cap on stage 2 steps (0 = whole stage)
 * @param checkpointEvery steps between checkpoints (also at each stage end)
 * @param keepCheckpoints how many step checkpoints to keep
 * @param seed seed of the dropout masks
 * @param logEvery steps between progress lines
 * @param precision base type and loss scaling ({@link PrecisionConfig})
 */
public record TrainConfig(
        String baseModel,
        long modelSeed,
        int maxLength,
        double loraDropout,
        double temperature,
        int chunkSize,
        String activationCheckpointing,
        String optimizer,
        double weightDecay,
        double beta1,
        double beta2,
        double epsilon,
        double clipNorm,
        int warmupSteps,
        int batchSize,
        int maxNegatives,
        double stage1Lr,
        double stage2Lr,
        long stage1MaxSteps,
        long stage2MaxSteps,
        int checkpointEvery,
        int keepCheckpoints,
        long seed,
        int logEvery,
        PrecisionConfig precision) {

    private static final Check CHECK = Check.under("");

    /** The values of {@code activation_checkpointing}. */
    private static final List<String> CHECKPOINTING = List.of("none", "layer");

    /** Checks ranges, naming the key and value. */
    public TrainConfig {
        check(baseModel != null && !baseModel.isBlank(), "base_model", baseModel);
        if (baseModel.startsWith("~/")) {
            baseModel = Path.of(System.getProperty("user.home"), baseModel.substring(2)).toString();
        }
        check(maxLength >= 8, "max_length", maxLength);
        check(loraDropout >= 0 && loraDropout < 1, "lora_dropout", loraDropout);
        check(temperature > 0, "temperature", temperature);
        check(chunkSize >= 1, "chunk_size", chunkSize);
        CHECK.oneOf("activation_checkpointing", activationCheckpointing, CHECKPOINTING);
        check("adam".equals(optimizer) || "adamw".equals(optimizer), "optimizer", optimizer);
        check(weightDecay >= 0, "weight_decay", weightDecay);
        check(beta1 >= 0 && beta1 < 1, "beta1", beta1);
        check(beta2 >= 0 && beta2 < 1, "beta2", beta2);
        check(epsilon > 0, "epsilon", epsilon);
        check(clipNorm >= 0, "clip_norm", clipNorm);
        check(warmupSteps >= 0, "warmup_steps", warmupSteps);
        check(batchSize >= 1, "batch_size", batchSize);
        check(
                maxNegatives >= 0 && maxNegatives <= TrainingExample.MAX_NEGATIVES,
                "max_negatives",
                maxNegatives);
        check(stage1Lr > 0, "stage1_lr", stage1Lr);
        check(stage2Lr > 0, "stage2_lr", stage2Lr);
        check(stage1MaxSteps >= 0, "stage1_max_steps", stage1MaxSteps);
        check(stage2MaxSteps >= 0, "stage2_max_steps", stage2MaxSteps);
        check(checkpointEvery >= 1, "checkpoint_every", checkpointEvery);
        check(keepCheckpoints >= 1, "keep_checkpoints", keepCheckpoints);
        check(logEvery >= 1, "log_every", logEvery);
        check(precision != null, "precision", precision);
    }

    private static void check(boolean ok, String key, Object value) {
        CHECK.that(ok, key, value, "is invalid");
    }

    /** Whether GradCache re-runs the decoder one layer at a time ({@code layer}). */
    public boolean recomputesLayers() {
        return "layer".equals(activationCheckpointing);
    }

    /** Peak learning rate of a stage (1 or 2). */
    public double lr(int stage) {
        return stage == 1 ? stage1Lr : stage2Lr;
    }

    /** Step cap of a stage (0 = none). */
    public long maxSteps(int stage) {
        return stage == 1 ? stage1MaxSteps : stage2MaxSteps;
    }

    /**
     * Reads a YAML file.
     *
     * @throws InvalidFileException if the file is missing or a key is unknown, mistyped or out of
     *     range (named)
     */
    public static TrainConfig read(Path file) throws InvalidFileException {
        ObjectMapper yaml =
                new ObjectMapper(new YAMLFactory())
                        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
        if (!Files.isRegularFile(file)) {
            throw new InvalidFileException("training config " + file + ": no such file");
        }
        try {
            return yaml.readValue(file.toFile(), TrainConfig.class);
        } catch (IOException | IllegalArgumentException e) {
            Throwable invalid = UserError.find(e);
            String why = invalid != null ? invalid.getMessage() : e.getMessage();
            throw new InvalidFileException("training config " + file + ": " + why, e);
        }
    }

    /** A copy with other step caps (tests, demo). */
    public TrainConfig withMaxSteps(long stage1, long stage2) {
        return new TrainConfig(
                baseModel,
                modelSeed,
                maxLength,
                loraDropout,
                temperature,
                chunkSize,
                activationCheckpointing,
                optimizer,
                weightDecay,
                beta1,
                beta2,
                epsilon,
                clipNorm,
                warmupSteps,
                batchSize,
                maxNegatives,
                stage1Lr,
                stage2Lr,
                stage1,
                stage2,
                checkpointEvery,
                keepCheckpoints,
                seed,
                logEvery,
                precision);
    }

    /** A copy with other precision settings (tests). */
    public TrainConfig withPrecision(PrecisionConfig p) {
        return new TrainConfig(
                baseModel,
                modelSeed,
                maxLength,
                loraDropout,
                temperature,
                chunkSize,
                activationCheckpointing,
                optimizer,
                weightDecay,
                beta1,
                beta2,
                epsilon,
                clipNorm,
                warmupSteps,
                batchSize,
                maxNegatives,
                stage1Lr,
                stage2Lr,
                stage1MaxSteps,
                stage2MaxSteps,
                checkpointEvery,
                keepCheckpoints,
                seed,
                logEvery,
                p);
    }
}
