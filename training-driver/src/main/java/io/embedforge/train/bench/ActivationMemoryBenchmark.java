package io.embedforge.train.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.TorchArrays;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.DecoderFamily;
import io.embedforge.train.model.LayerRecompute;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.weights.ModelWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Measures the native memory a forward pass with a graph holds until its backward pass (what
 * GradCache's re-run of one chunk needs), per token and per decoder layer: the process's resident
 * memory after the forward minus before (first touch of fresh memory, one measurement per JVM), for
 * decoders of 1 and 2 layers (the difference is one layer, without embedding and final norm) at two
 * sequence lengths (separating the per-token part from the attention's per-token-squared part).
 * Each decoder layer runs in its own sub-manager, so what one more layer adds is what autograd
 * saves for the backward (and what the allocator keeps of freed memory); a GPU would hold the same
 * (docs/gpu.md, "Activation memory"). Usage: {@code ActivationMemoryBenchmark tiny|mistral7b
 * float16|float32 layers length [none|layer]}.
 *
 * <p>With a fifth argument it measures instead the peak of a whole re-run, forward and backward, as
 * GradCache runs it with {@code activation_checkpointing} {@code none} (one graph for the chunk) or
 * {@code layer} ({@link LayerRecompute}: stored layer inputs plus one layer's graph at a time): the
 * process's peak resident memory ({@code VmHWM}, reset first through {@code /proc/self/clear_refs})
 * minus the resident memory before. With {@code layer} the peak should grow with the layer count
 * only by a stored input per layer, with {@code none} by a layer's graph.
 */
public final class ActivationMemoryBenchmark {

    private ActivationMemoryBenchmark() {}

    /**
     * Prints the resident bytes one forward holds. One measurement per JVM: memory freed by an
     * earlier forward would be reused without raising the resident size.
     *
     * @param args shape ({@code tiny|mistral7b}), base type, decoder layers, sequence length
     * @throws IOException if /proc cannot be read
     */
    public static void main(String[] args) throws IOException {
        boolean mistral = args[0].equals("mistral7b");
        DataType base = args[1].equals("float32") ? DataType.FLOAT32 : DataType.FLOAT16;
        int layers = Integer.parseInt(args[2]);
        int len = Integer.parseInt(args[3]);
        String mode = args.length > 4 ? args[4] : null;
        double held = measure(shape(mistral, layers), base, len, mode);
        System.out.printf(
                Locale.ROOT,
                "%s %s layers %d length %d: %.0f bytes %s%n",
                args[0],
                args[1],
                layers,
                len,
                held,
                mode == null ? "held after forward" : "peak of a re-run with " + mode);
    }

    private static MistralConfig shape(boolean mistral, int layers) {
        MistralConfig t = MistralConfig.tiny();
        if (!mistral) {
            return new MistralConfig(
                    t.hiddenSize(),
                    t.intermediateSize(),
                    layers,
                    t.numHeads(),
                    t.numKvHeads(),
                    t.headDim(),
                    t.rmsNormEps(),
                    t.ropeTheta(),
                    t.vocabSize(),
                    t.bosTokenId(),
                    t.eosTokenId(),
                    t.family(),
                    t.tieWordEmbeddings());
        }
        // Mistral-7B-v0.1's layer; a small vocabulary (the embedding is not part of a layer)
        return new MistralConfig(
                4096,
                14336,
                layers,
                32,
                8,
                128,
                1e-5,
                10000.0,
                1000,
                1,
                2,
                DecoderFamily.MISTRAL,
                false);
    }

    /**
     * Resident bytes held after one forward with a graph, or ({@code mode} not null) the peak of a
     * forward and backward with that checkpointing (batch 1, all tokens real).
     */
    private static double measure(MistralConfig c, DataType base, int len, String mode)
            throws IOException {
        LoraConfig nv = LoraConfig.nvEmbed();
        NvEmbedModel model =
                new NvEmbedModel(c, nv, AttentionMaskMode.BIDIRECTIONAL, PoolingMode.MEAN, null);
        try (NDManager m = NDManager.newBaseManager()) {
            ModelWeights.seedAll(model, 42);
            if (base != DataType.FLOAT32) {
                ModelWeights.castFrozen(model, base);
            }
            ModelWeights.initialize(model, m);
            long[] ids = new long[len];
            for (int i = 0; i < len; i++) {
                ids[i] = 3 + (i * 37) % (c.vocabSize() - 3);
            }
            long[] mask = new long[len];
            Arrays.fill(mask, 1);
            return mode == null
                    ? forward(m, model, ids, mask, len)
                    : peak(m, model, ids, mask, len, mode.equals("layer"));
        }
    }

    private static double forward(NDManager m, NvEmbedModel model, long[] ids, long[] mask, int len)
            throws IOException {
        try (NDManager sub = m.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList in = inputs(sub, ids, mask, len);
            long before = rss();
            NDArray e = model.forward(new ParameterStore(sub, false), in, true).singletonOrThrow();
            long after = rss();
            gc.backward(e.sum());
            return after - before;
        }
    }

    /**
     * The peak resident bytes above the start of one chunk re-run (forward and backward of {@code
     * sum(embedding * 1)}), whole graph or per layer.
     */
    private static double peak(
            NDManager m, NvEmbedModel model, long[] ids, long[] mask, int len, boolean perLayer)
            throws IOException {
        try (NDManager sub = m.newSubManager()) {
            NDList in = inputs(sub, ids, mask, len);
            NDArray ones = sub.ones(new Shape(1, model.decoder().config().hiddenSize()));
            ParameterStore ps = new ParameterStore(sub, false);
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            long before = status("VmRSS:");
            if (perLayer) {
                LayerRecompute.backward(model, ps, in, ones, 7);
            } else {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(model.forward(ps, in, true).singletonOrThrow().mul(ones).sum());
                }
            }
            return status("VmHWM:") - before;
        }
    }

    /** The model's inputs: ids, attention mask, pooling mask (batch 1). */
    private static NDList inputs(NDManager sub, long[] ids, long[] mask, int len) {
        Shape s = new Shape(1, len);
        return new NDList(
                TorchArrays.of(sub, ids, s),
                TorchArrays.of(sub, mask, s),
                TorchArrays.of(sub, mask, s));
    }

    private static long rss() throws IOException {
        return status("VmRSS:");
    }

    private static long status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no " + key + " in /proc/self/status");
    }
}
