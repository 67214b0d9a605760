package io.embedforge.encoder;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.settings.Check;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Which text encoder to run and how: the {@code encoder:} block of a stage's config, bound by
 * Jackson from snake_case YAML. A missing key takes the default of {@link #defaults()} (embedded
 * E5-small-v2); every value is checked here, so a bad config fails on the driver before any task
 * starts.
 *
 * <p>Serializable and immutable: the Spark stages ship it to executors, where {@link
 * SharedEncoders} turns it into one loaded model per JVM.
 *
 * @param modelPath an {@code .onnx} file, a TorchScript {@code .pt} file, or a local Hugging Face
 *     folder holding {@code model.onnx} (or {@code onnx/model.onnx}) or {@code model.pt} and {@code
 *     tokenizer.json}; null means the embedded E5-small-v2
 * @param format engine selection, {@link ModelFormat#AUTO} by default
 * @param tokenizerPath a {@code tokenizer.json}; null means the one beside the model
 * @param pooling how token states become one vector
 * @param normalize L2-normalise the pooled vector (then inner product is cosine)
 * @param maxLength longest token sequence fed to the model; longer texts are truncated
 * @param queryPrefix prepended to every query text (E5: {@code "query: "})
 * @param passagePrefix prepended to every passage text (E5: {@code "passage: "})
 * @param batchSize texts per forward pass
 * @param intraOpThreads threads of one forward pass; 0 means every core of the JVM (in the Spark
 *     mining stage: the task's cores, with the executor's tasks running passes concurrently)
 * @param dimension expected embedding size; 0 accepts what the model gives
 * @param precision {@code fp32} (default) or {@code int8}: the dynamic-int8 copy of the ONNX graph
 *     ({@link EncoderPrecision}); left out of the serialized settings when fp32, so stage
 *     fingerprints of configs written before the key existed do not change
 */
public record EncoderConfig(
        @JsonProperty("model_path") String modelPath,
        @JsonProperty("format") ModelFormat format,
        @JsonProperty("tokenizer_path") String tokenizerPath,
        @JsonProperty("pooling") Pooling pooling,
        @JsonProperty("normalize") Boolean normalize,
        @JsonProperty("max_length") Integer maxLength,
        @JsonProperty("query_prefix") String queryPrefix,
        @JsonProperty("passage_prefix") String passagePrefix,
        @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("intra_op_threads") Integer intraOpThreads,
        @JsonProperty("dimension") Integer dimension,
        @JsonProperty("precision")
                @JsonInclude(
                        value = JsonInclude.Include.CUSTOM,
                        valueFilter = EncoderConfig.Fp32Filter.class)
                String precision)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** E5 needs this prefix on queries. */
    public static final String E5_QUERY_PREFIX = "query: ";

    /** E5 needs this prefix on passages. */
    public static final String E5_PASSAGE_PREFIX = "passage: ";

    /** E5-small-v2's embedding size. */
    public static final int E5_DIMENSION = 384;

    /** Default {@code max_length}: E5-small-v2's position limit. */
    public static final int MAX_LENGTH_DEFAULT = 512;

    /** Upper bound of {@code max_length}; beyond it the config is almost surely a typo. */
    public static final int MAX_LENGTH_LIMIT = 32_768;

    /** Default {@code batch_size}. */
    public static final int BATCH_SIZE_DEFAULT = 32;

    /** Upper bound of {@code batch_size}. */
    public static final int BATCH_SIZE_LIMIT = 4096;

    /**
     * Keys are checked under {@code encoder}; a binder rebases them (stages.mine-dense.encoder).
     */
    private static final Check CHECK = Check.under("encoder");

    public EncoderConfig {
        format = format == null ? ModelFormat.AUTO : format;
        pooling = pooling == null ? Pooling.MEAN : pooling;
        normalize = normalize == null ? Boolean.TRUE : normalize;
        maxLength = maxLength == null ? MAX_LENGTH_DEFAULT : maxLength;
        boolean embedded = modelPath == null || modelPath.isBlank();
        modelPath = embedded ? null : modelPath;
        tokenizerPath = tokenizerPath == null || tokenizerPath.isBlank() ? null : tokenizerPath;
        queryPrefix = queryPrefix == null ? (embedded ? E5_QUERY_PREFIX : "") : queryPrefix;
        passagePrefix = passagePrefix == null ? (embedded ? E5_PASSAGE_PREFIX : "") : passagePrefix;
        batchSize = batchSize == null ? BATCH_SIZE_DEFAULT : batchSize;
        intraOpThreads = intraOpThreads == null ? 0 : intraOpThreads;
        dimension = dimension == null ? (embedded ? E5_DIMENSION : 0) : dimension;
        precision =
                CHECK.oneOf(
                        "precision",
                        precision == null ? EncoderPrecision.FP32 : precision,
                        EncoderPrecision.VALUES);

        CHECK.inRange("max_length", maxLength, 2, MAX_LENGTH_LIMIT);
        CHECK.inRange("batch_size", batchSize, 1, BATCH_SIZE_LIMIT);
        CHECK.that(
                intraOpThreads >= 0 && intraOpThreads <= 1024,
                "intra_op_threads",
                intraOpThreads,
                "must be in [0, 1024] (0 = all cores)");
        CHECK.that(dimension >= 0, "dimension", dimension, "must be >= 0 (0 = accept the model's)");
        CHECK.that(
                !(embedded && format == ModelFormat.TORCHSCRIPT),
                "format",
                "torchscript",
                "needs encoder.model_path: the embedded E5-small-v2 is ONNX");
        CHECK.that(
                !(EncoderPrecision.INT8.equals(precision) && format == ModelFormat.TORCHSCRIPT),
                "precision",
                precision,
                "needs an ONNX model (encoder.format is torchscript); allowed: "
                        + EncoderPrecision.FP32);
    }

    /**
     * Jackson's filter of {@code precision}: true (leave the key out) for the default fp32. Only
     * its {@code equals} is used.
     */
    static final class Fp32Filter {
        @Override
        public boolean equals(Object value) {
            return value == null || EncoderPrecision.FP32.equals(value);
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }

    /** Embedded E5-small-v2 on OnnxRuntime: E5 prefixes, mean pooling, normalised, 384 dims. */
    public static EncoderConfig defaults() {
        return new EncoderConfig(
                null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** True when the int8 copy of the ONNX graph is run ({@link EncoderPrecision}). */
    @JsonIgnore
    public boolean isInt8() {
        return EncoderPrecision.INT8.equals(precision);
    }

    /** A copy at another precision ({@code fp32} or {@code int8}). */
    public EncoderConfig withPrecision(String newPrecision) {
        return copy(modelPath, batchSize, intraOpThreads, dimension, newPrecision);
    }

    /** True when the embedded E5-small-v2 is used. */
    @JsonIgnore
    public boolean isEmbedded() {
        return modelPath == null;
    }

    /** A copy with another batch size (benchmarks and tests sweep it). */
    public EncoderConfig withBatchSize(int newBatchSize) {
        return copy(modelPath, newBatchSize, intraOpThreads, dimension, precision);
    }

    /** A copy with another intra-op thread count. */
    public EncoderConfig withIntraOpThreads(int threads) {
        return copy(modelPath, batchSize, threads, dimension, precision);
    }

    /** A copy with another expected dimension. */
    public EncoderConfig withDimension(int expected) {
        return copy(modelPath, batchSize, intraOpThreads, expected, precision);
    }

    /** A copy reading another model. */
    public EncoderConfig withModelPath(String path) {
        return copy(path, batchSize, intraOpThreads, dimension, precision);
    }

    /** A copy with the settings that tests, benchmarks and the stages vary. */
    private EncoderConfig copy(
            String newModelPath,
            int newBatchSize,
            int newThreads,
            int newDimension,
            String newPrecision) {
        return new EncoderConfig(
                newModelPath,
                format,
                tokenizerPath,
                pooling,
                normalize,
                maxLength,
                queryPrefix,
                passagePrefix,
                newBatchSize,
                newThreads,
                newDimension,
                newPrecision);
    }

    /**
     * A 16-hex-character digest of every setting that changes the vectors (model, tokenizer,
     * pooling, normalisation, max length, prefixes, int8 precision) and of none that do not (batch
     * size, threads). fp32 adds nothing to the key, so embeddings stored before the precision
     * setting existed are still found. Stored beside written embeddings so a later run reuses them
     * only when they would come out the same.
     */
    public String fingerprint() {
        String key =
                String.join(
                                "\u0000",
                                String.valueOf(modelPath),
                                format.key(),
                                String.valueOf(tokenizerPath),
                                pooling.key(),
                                String.valueOf(normalize),
                                String.valueOf(maxLength),
                                queryPrefix,
                                passagePrefix)
                        + (isInt8() ? "\u0000precision=" + precision : "");
        try {
            byte[] hash =
                    MessageDigest.getInstance("SHA-256")
                            .digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
