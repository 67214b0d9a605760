package io.embedforge.encoder;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * A text encoder on DJL: Hugging Face tokenizer, an ONNX (OnnxRuntime) or TorchScript (PyTorch)
 * transformer, pooling of its token states, optional L2 normalisation. Used by the dense miner on
 * Spark executors and by the trainer's evaluation as its E5 baseline, so it knows nothing of Spark.
 *
 * <p>Batching: the texts of one {@link #encode} call are tokenised together, sorted by token length
 * and cut into batches of {@code batch_size}, each padded only to its own longest text, so padding
 * costs little even with mixed lengths. The vectors come back in input order.
 *
 * <p>Thread safety: the model is shared by threads; each forward pass uses {@code intra_op_threads}
 * threads (all cores by default) and at most {@code cores / intra_op_threads} passes run at once,
 * so one model per executor JVM keeps the cores busy without oversubscribing them: one pass at a
 * time over every core, or (Spark tasks with one thread each) one pass per core. Tokenisation and
 * pooling run outside that limit.
 *
 * <p>Close it (try-with-resources) to free the native model and tokenizer.
 */
public final class TextEncoder implements AutoCloseable {
    private static final Set<String> KNOWN_INPUTS =
            Set.of("input_ids", "attention_mask", "token_type_ids");

    private final EncoderConfig config;
    private final Model model;
    private final HuggingFaceTokenizer tokenizer;
    private final List<String> inputNames;
    private final Semaphore forwardSlots;
    private volatile int dimension;

    private TextEncoder(
            EncoderConfig config,
            Model model,
            HuggingFaceTokenizer tokenizer,
            List<String> inputNames) {
        this.config = config;
        this.model = model;
        this.tokenizer = tokenizer;
        this.inputNames = inputNames;
        this.dimension = config.dimension();
        this.forwardSlots = new Semaphore(forwardSlots(config), true);
    }

    /**
     * How many forward passes may run at once: as many as the JVM's cores hold at {@code
     * intra_op_threads} each (one when a pass uses every core).
     */
    static int forwardSlots(EncoderConfig config) {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / threadsPerPass(config));
    }

    /** Threads of one forward pass: {@code intra_op_threads}, or every core when it is 0. */
    private static int threadsPerPass(EncoderConfig config) {
        return config.intraOpThreads() > 0
                ? config.intraOpThreads()
                : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Loads the encoder the config names.
     *
     * @throws IllegalArgumentException when the model or tokenizer path does not exist, the format
     *     cannot be told, the model wants inputs other than input ids, attention mask and token
     *     type ids, or {@code precision: int8} finds no int8 ONNX graph beside the fp32 one (the
     *     message names {@value EncoderPrecision#SCRIPT}, which writes it)
     * @throws IOException when a file cannot be read or the model is malformed
     */
    public static TextEncoder load(EncoderConfig config) throws IOException {
        Resolved files = resolve(config);
        Path modelFile = files.model();
        Path tokenizerFile = files.tokenizer();
        ModelFormat format = files.format();
        if (config.isInt8()) {
            if (format != ModelFormat.ONNX) {
                throw new IllegalArgumentException(
                        "encoder.precision=int8 needs an ONNX model; "
                                + modelFile
                                + " runs on "
                                + format.engineName()
                                + " (allowed for it: "
                                + EncoderPrecision.FP32
                                + ")");
            }
            modelFile = EncoderPrecision.select(modelFile, config.precision(), config.isEmbedded());
        }

        int threads = threadsPerPass(config);
        Map<String, Object> options = new HashMap<>();
        if (format == ModelFormat.ONNX) {
            options.put("sessionOptions", ortSessionOptions());
            options.put("intraOpNumThreads", Integer.toString(threads));
            options.put("interOpNumThreads", "1");
        }
        HuggingFaceTokenizer tokenizer =
                HuggingFaceTokenizer.builder()
                        .optTokenizerPath(tokenizerFile)
                        .optMaxLength(config.maxLength())
                        .optTruncation(true)
                        .optPadding(false)
                        .optAddSpecialTokens(true)
                        .build();
        Model model = Model.newInstance("encoder", Device.cpu(), format.engineName());
        try {
            if (format == ModelFormat.TORCHSCRIPT) {
                PyTorchThreads.set(threads);
            }
            model.load(modelFile, null, options);
            List<String> inputs = new ArrayList<>();
            if (format == ModelFormat.ONNX) {
                inputs.addAll(model.describeInput().keys());
                for (String name : inputs) {
                    if (!KNOWN_INPUTS.contains(name)) {
                        throw new IllegalArgumentException(
                                "encoder model "
                                        + modelFile
                                        + " wants input '"
                                        + name
                                        + "'; supported inputs are "
                                        + KNOWN_INPUTS);
                    }
                }
            } else {
                inputs.add("input_ids");
                inputs.add("attention_mask");
            }
            return new TextEncoder(config, model, tokenizer, List.copyOf(inputs));
        } catch (MalformedModelException e) {
            model.close();
            tokenizer.close();
            throw new IOException("encoder model " + modelFile + " cannot be loaded", e);
        } catch (RuntimeException | IOException e) {
            model.close();
            tokenizer.close();
            throw e;
        }
    }

    /** The fp32 model file, its tokenizer and its engine. */
    private record Resolved(Path model, Path tokenizer, ModelFormat format) {}

    /**
     * The files the config names: the embedded E5 (extracted to the cache if needed), or {@code
     * model_path} with its tokenizer.
     *
     * @throws IllegalArgumentException when a path does not exist or the format cannot be told
     */
    private static Resolved resolve(EncoderConfig config) {
        Path modelFile;
        Path tokenizerFile;
        ModelFormat format;
        if (config.isEmbedded()) {
            EmbeddedModels.ModelFiles files = EmbeddedModels.e5SmallV2();
            modelFile = files.model();
            tokenizerFile = files.tokenizer();
            format = ModelFormat.ONNX;
        } else {
            Path given = Paths.get(config.modelPath());
            if (!Files.exists(given)) {
                throw new IllegalArgumentException(
                        "encoder.model_path="
                                + config.modelPath()
                                + " does not exist (expected an .onnx file, a TorchScript .pt"
                                + " file or a Hugging Face folder)");
            }
            modelFile = Files.isDirectory(given) ? findModelInFolder(given, config) : given;
            format = resolveFormat(modelFile, config.format());
            tokenizerFile =
                    config.tokenizerPath() != null
                            ? Paths.get(config.tokenizerPath())
                            : modelFile.resolveSibling("tokenizer.json");
            if (!Files.isRegularFile(tokenizerFile) && Files.isDirectory(given)) {
                tokenizerFile = given.resolve("tokenizer.json");
            }
        }
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new IllegalArgumentException(
                    "encoder.tokenizer_path="
                            + tokenizerFile
                            + " does not exist (a Hugging Face tokenizer.json is required)");
        }
        return new Resolved(modelFile, tokenizerFile, format);
    }

    /**
     * OnnxRuntime options: worker threads block instead of spinning between operators. Spinning
     * helps latency on an idle machine but burns the cores that other Spark tasks (tokenising,
     * shuffling) need, and collapses throughput when cores are shared.
     */
    private static OrtSession.SessionOptions ortSessionOptions() throws IOException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            so.addConfigEntry("session.inter_op.allow_spinning", "0");
        } catch (OrtException e) {
            so.close();
            throw new IOException("cannot configure OnnxRuntime: " + e.getMessage(), e);
        }
        return so;
    }

    private static Path findModelInFolder(Path folder, EncoderConfig config) {
        List<Path> candidates =
                config.format() == ModelFormat.TORCHSCRIPT
                        ? List.of(folder.resolve("model.pt"), folder.resolve("traced_model.pt"))
                        : List.of(
                                folder.resolve("model.onnx"),
                                folder.resolve("onnx").resolve("model.onnx"),
                                folder.resolve("model.pt"),
                                folder.resolve("traced_model.pt"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "encoder.model_path="
                        + folder
                        + " is a folder without a model file; looked for "
                        + candidates);
    }

    private static ModelFormat resolveFormat(Path modelFile, ModelFormat configured) {
        if (configured != ModelFormat.AUTO) {
            return configured;
        }
        String name = modelFile.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return ModelFormat.ONNX;
        }
        if (name.endsWith(".pt") || name.endsWith(".torchscript") || name.endsWith(".pth")) {
            return ModelFormat.TORCHSCRIPT;
        }
        throw new IllegalArgumentException(
                "encoder.format=auto cannot tell the engine of "
                        + modelFile
                        + " (expected .onnx, .pt or .torchscript); set encoder.format to onnx or"
                        + " torchscript");
    }

    /** The configuration this encoder was loaded from. */
    public EncoderConfig config() {
        return config;
    }

    /** Embedding size; encodes one probe text when neither config nor a call has told it yet. */
    public int dimension() {
        if (dimension <= 0) {
            encode(List.of("probe"), "");
        }
        return dimension;
    }

    /** Encodes queries with the configured query prefix. */
    public float[][] encodeQueries(List<String> texts) {
        return encode(texts, config.queryPrefix());
    }

    /** Encodes passages with the configured passage prefix. */
    public float[][] encodePassages(List<String> texts) {
        return encode(texts, config.passagePrefix());
    }

    /**
     * Encodes texts with a prefix, in input order: one vector per text.
     *
     * @throws IllegalStateException when the model's output is not [batch, tokens, dim] or [batch,
     *     dim], or its size differs from {@code encoder.dimension}
     */
    public float[][] encode(List<String> texts, String prefix) {
        int n = texts.size();
        float[][] out = new float[n][];
        if (n == 0) {
            return out;
        }
        String[] inputs = new String[n];
        for (int i = 0; i < n; i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new IllegalArgumentException("text " + i + " of the batch is null");
            }
            inputs[i] = prefix + t;
        }
        Encoding[] encodings = tokenizer.batchEncode(inputs);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // Longest first: a batch that does not fit in memory fails at once, not at the end.
        Arrays.sort(
                order,
                Comparator.comparingInt((Integer i) -> encodings[i].getIds().length)
                        .reversed()
                        .thenComparingInt(i -> i));
        int batchSize = config.batchSize();
        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
            for (int start = 0; start < n; start += batchSize) {
                int end = Math.min(n, start + batchSize);
                int[] batch = new int[end - start];
                for (int j = start; j < end; j++) {
                    batch[j - start] = order[j];
                }
                float[][] vectors = forward(predictor, encodings, batch);
                for (int j = 0; j < batch.length; j++) {
                    out[batch[j]] = vectors[j];
                }
            }
        }
        return out;
    }

    private float[][] forward(Predictor<NDList, NDList> predictor, Encoding[] enc, int[] batch) {
        int b = batch.length;
        int len = 0;
        for (int i : batch) {
            len = Math.max(len, enc[i].getIds().length);
        }
        long[] ids = new long[b * len];
        long[] mask = new long[b * len];
        long[] types = new long[b * len];
        for (int r = 0; r < b; r++) {
            Encoding e = enc[batch[r]];
            long[] rowIds = e.getIds();
            long[] rowMask = e.getAttentionMask();
            long[] rowTypes = e.getTypeIds();
            System.arraycopy(rowIds, 0, ids, r * len, rowIds.length);
            System.arraycopy(rowMask, 0, mask, r * len, rowMask.length);
            System.arraycopy(rowTypes, 0, types, r * len, rowTypes.length);
        }
        Shape shape = new Shape(b, len);
        float[] hidden;
        Shape outShape;
        forwardSlots.acquireUninterruptibly();
        try {
            try (NDManager manager = model.getNDManager().newSubManager()) {
                NDList input = new NDList();
                for (String name : inputNames) {
                    long[] data =
                            switch (name) {
                                case "input_ids" -> ids;
                                case "attention_mask" -> mask;
                                default -> types;
                            };
                    NDArray array = manager.create(data, shape);
                    array.setName(name);
                    input.add(array);
                }
                NDList result = predictor.predict(input);
                NDArray first = pickOutput(result);
                outShape = first.getShape();
                if (first.getDataType() != DataType.FLOAT32) {
                    throw new IllegalStateException(
                            "encoder output "
                                    + first.getName()
                                    + " is "
                                    + first.getDataType()
                                    + "; float32 is required");
                }
                hidden = first.toFloatArray();
                result.close();
            } catch (TranslateException e) {
                throw new IllegalStateException("encoder forward pass failed: " + e, e);
            }
        } finally {
            forwardSlots.release();
        }
        return pool(hidden, outShape, mask, b, len);
    }

    private static NDArray pickOutput(NDList result) {
        for (String preferred : List.of("last_hidden_state", "token_embeddings")) {
            NDArray named = result.get(preferred);
            if (named != null) {
                return named;
            }
        }
        return result.get(0);
    }

    private float[][] pool(float[] hidden, Shape shape, long[] mask, int b, int len) {
        int dim;
        boolean tokenLevel;
        if (shape.dimension() == 3 && shape.get(0) == b && shape.get(1) == len) {
            dim = (int) shape.get(2);
            tokenLevel = true;
        } else if (shape.dimension() == 2 && shape.get(0) == b) {
            dim = (int) shape.get(1);
            tokenLevel = false;
        } else {
            throw new IllegalStateException(
                    "encoder output shape "
                            + shape
                            + " is neither [batch="
                            + b
                            + ", tokens="
                            + len
                            + ", dim] nor [batch="
                            + b
                            + ", dim]");
        }
        if (config.dimension() > 0 && dim != config.dimension()) {
            throw new IllegalStateException(
                    "encoder output has dimension "
                            + dim
                            + " but encoder.dimension="
                            + config.dimension()
                            + " (output shape "
                            + shape
                            + ")");
        }
        dimension = dim;
        float[][] vectors = new float[b][dim];
        for (int r = 0; r < b; r++) {
            float[] v = vectors[r];
            if (!tokenLevel) {
                System.arraycopy(hidden, r * dim, v, 0, dim);
            } else {
                int tokens = 0;
                for (int t = 0; t < len; t++) {
                    tokens += (int) mask[r * len + t];
                }
                switch (config.pooling()) {
                    case CLS -> System.arraycopy(hidden, r * len * dim, v, 0, dim);
                    case LAST_TOKEN ->
                            System.arraycopy(
                                    hidden, (r * len + Math.max(0, tokens - 1)) * dim, v, 0, dim);
                    case MEAN -> {
                        for (int t = 0; t < len; t++) {
                            if (mask[r * len + t] == 0) {
                                continue;
                            }
                            int base = (r * len + t) * dim;
                            for (int k = 0; k < dim; k++) {
                                v[k] += hidden[base + k];
                            }
                        }
                        float inv = 1f / Math.max(1, tokens);
                        for (int k = 0; k < dim; k++) {
                            v[k] *= inv;
                        }
                    }
                }
            }
            if (config.normalize()) {
                double norm = 0;
                for (float x : v) {
                    norm += (double) x * x;
                }
                float inv = norm > 0 ? (float) (1.0 / Math.sqrt(norm)) : 0f;
                for (int k = 0; k < dim; k++) {
                    v[k] *= inv;
                }
            }
        }
        return vectors;
    }

    @Override
    public void close() {
        try {
            model.close();
        } finally {
            tokenizer.close();
        }
    }
}
