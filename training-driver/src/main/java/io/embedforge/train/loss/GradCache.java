package io.embedforge.train.loss;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.NoGrad;
import io.embedforge.train.model.DropoutSeeds;
import io.embedforge.train.model.LayerRecompute;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.tokenize.TokenBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient caching (Gao et al. 2021) for the contrastive step: a full batch (128 x 9 sequences of
 * up to 512 tokens) cannot be back-propagated at once with a 7B decoder, and DJL has no activation
 * checkpointing. So: (1) embed every sequence in chunks without a graph, (2) compute InfoNCE and
 * its gradient with respect to the embeddings, (3) re-run each chunk with a graph and
 * back-propagate {@code sum(embeddings * cachedGradient)}. Parameter gradients then equal those of
 * the full batch.
 *
 * <p>LoRA dropout draws from libtorch's global generator; each chunk's forward is given a seed
 * mixed from {@code (step seed, chunk)}, from which the decoder seeds each layer ({@link
 * DropoutSeeds}), so the re-run sees the same dropout masks as the cached pass, a resumed run the
 * same masks as an uninterrupted one, and a per-layer recomputation the same masks as either.
 *
 * <p>With {@code recomputeLayers} the re-run keeps one layer's graph at a time instead of the whole
 * chunk's ({@link LayerRecompute}): less memory, one more forward of the decoder per chunk.
 */
public final class GradCache {

    private final NvEmbedModel model;
    private final Replicas replicas;
    private final NvEmbedTokenizer tokenizer;
    private final int chunkSize;
    private final double temperature;
    private final boolean recomputeLayers;

    /**
     * @param model the model; its trainable parameters receive (accumulate) gradients
     * @param tokenizer tokeniser matching the model
     * @param chunkSize sequences per forward chunk
     * @param temperature InfoNCE temperature
     */
    public GradCache(
            NvEmbedModel model, NvEmbedTokenizer tokenizer, int chunkSize, double temperature) {
        this(model, null, tokenizer, chunkSize, temperature, false);
    }

    /**
     * GradCache on one device, optionally with per-layer recomputation in the re-run.
     *
     * @param recomputeLayers re-run the decoder one layer at a time ({@link LayerRecompute})
     */
    public GradCache(
            NvEmbedModel model,
            NvEmbedTokenizer tokenizer,
            int chunkSize,
            double temperature,
            boolean recomputeLayers) {
        this(model, null, tokenizer, chunkSize, temperature, recomputeLayers);
    }

    /**
     * GradCache over several devices.
     *
     * @param replicas the model on each device, the primary (which receives the gradient sum) first
     * @param tokenizer tokeniser matching the model
     * @param chunkSize sequences per forward chunk
     * @param temperature InfoNCE temperature
     * @param recomputeLayers re-run the decoder one layer at a time ({@link LayerRecompute})
     */
    public GradCache(
            Replicas replicas,
            NvEmbedTokenizer tokenizer,
            int chunkSize,
            double temperature,
            boolean recomputeLayers) {
        this(replicas.model(0), replicas, tokenizer, chunkSize, temperature, recomputeLayers);
    }

    private GradCache(
            NvEmbedModel model,
            Replicas replicas,
            NvEmbedTokenizer tokenizer,
            int chunkSize,
            double temperature,
            boolean recomputeLayers) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize=" + chunkSize + " must be >= 1");
        }
        this.model = model;
        this.replicas = replicas;
        this.tokenizer = tokenizer;
        this.chunkSize = chunkSize;
        this.temperature = temperature;
        this.recomputeLayers = recomputeLayers;
    }

    /** Result of one step: the loss and how many non-padding tokens were embedded. */
    public record StepResult(double loss, long tokens, int sequences) {}

    /**
     * Computes the batch loss and adds its parameter gradients (the caller zeroes them between
     * optimizer steps).
     *
     * @param manager owner of the temporaries (close it after the step)
     * @param batch layout and mask
     * @param seed dropout seed of this step
     */
    public StepResult step(NDManager manager, ContrastiveBatch batch, long seed) {
        return step(manager, batch, tokenize(tokenizer, batch, chunkSize), seed, 1);
    }

    /**
     * The batch's sequences tokenised, {@code chunkSize} per chunk: the model-independent part of a
     * step, which an ablation computes once for all its variants.
     */
    public static List<TokenBatch> tokenize(
            NvEmbedTokenizer tokenizer, ContrastiveBatch batch, int chunkSize) {
        List<EmbeddingInput> seqs = batch.sequences();
        List<TokenBatch> chunks = new ArrayList<>();
        for (int from = 0; from < seqs.size(); from += chunkSize) {
            chunks.add(
                    tokenizer.encode(seqs.subList(from, Math.min(seqs.size(), from + chunkSize))));
        }
        return chunks;
    }

    /**
     * {@link #step(NDManager, ContrastiveBatch, long)} on chunks tokenised beforehand by {@link
     * #tokenize} with this instance's tokenizer and chunk size, with loss scaling: the gradient
     * entering each chunk's backward pass is multiplied by {@code lossScale}, so the parameter
     * gradients come out multiplied by it too (the caller divides them again, {@code LossScaler}).
     * The loss returned is not scaled.
     *
     * @param lossScale a power of two (exact scaling), 1 for none
     */
    public StepResult step(
            NDManager manager,
            ContrastiveBatch batch,
            List<TokenBatch> chunks,
            long seed,
            double lossScale) {
        long tokens = 0;
        for (TokenBatch t : chunks) {
            tokens += t.tokenCount();
        }
        int devices = replicas == null ? 1 : replicas.count();
        if (devices > 1) {
            replicas.syncTrainables();
        }
        NDArray all = cache(manager, chunks, seed, devices);
        all.setRequiresGradient(true);
        double loss;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = InfoNce.loss(all, batch, temperature);
            loss = l.getFloat();
            gc.backward(l);
        }
        NDArray grad = all.getGradient().duplicate();
        if (lossScale != 1) {
            grad.muli((float) lossScale);
        }
        backward(manager, chunks, grad, seed, devices);
        return new StepResult(loss, tokens, batch.sequences().size());
    }

    /**
     * The plain computation: every sequence in one forward with a graph, one backward. Exists to
     * check {@link #step} (and to measure its overhead); with LoRA dropout its masks differ from
     * {@link #step}'s because the generator is seeded once, not per chunk.
     */
    public StepResult plainStep(NDManager manager, ContrastiveBatch batch, long seed) {
        TokenBatch t = tokenizer.encode(batch.sequences());
        double loss;
        try (NDManager sub = manager.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l =
                    InfoNce.loss(
                            embed(model, sub, t, DropoutSeeds.mix(seed, 0)), batch, temperature);
            loss = l.getFloat();
            gc.backward(l);
        }
        return new StepResult(loss, t.tokenCount(), t.batch());
    }

    /** The loss without any gradient (evaluation of a held-out batch). */
    public double loss(NDManager manager, ContrastiveBatch batch) {
        List<EmbeddingInput> seqs = batch.sequences();
        NDList parts = new NDList();
        try (NoGrad noGrad = NoGrad.enter()) {
            for (int from = 0; from < seqs.size(); from += chunkSize) {
                TokenBatch t =
                        tokenizer.encode(
                                seqs.subList(from, Math.min(seqs.size(), from + chunkSize)));
                NDList in = t.toNDList(manager);
                parts.add(
                        model.forward(new ParameterStore(manager, false), in, false)
                                .singletonOrThrow());
            }
            return InfoNce.loss(NDArrays.concat(parts), batch, temperature).getFloat();
        }
    }

    /**
     * The no-graph pass: every chunk's embeddings (chunk {@code c} on replica {@code c mod
     * devices}), on the primary device, in chunk order.
     */
    private NDArray cache(NDManager manager, List<TokenBatch> chunks, long seed, int devices) {
        NDList cached = new NDList();
        for (int c = 0; c < chunks.size(); c++) {
            int r = c % devices;
            try (NoGrad noGrad = NoGrad.enter();
                    NDManager sub = owner(manager, r).newSubManager()) {
                NDArray e =
                        embed(modelOf(r), sub, chunks.get(c), DropoutSeeds.mix(seed, c))
                                .stopGradient();
                NDArray here = e.toDevice(manager.getDevice(), false);
                here.attach(manager);
                cached.add(here);
            }
        }
        return NDArrays.concat(cached);
    }

    /**
     * Re-runs each chunk with a graph on its replica and back-propagates its slice of {@code grad},
     * a wave of {@code devices} chunks at a time; after each wave the replicas' gradients are added
     * onto the primary's in chunk order.
     */
    private void backward(
            NDManager manager, List<TokenBatch> chunks, NDArray grad, long seed, int devices) {
        int offset = 0;
        for (int wave = 0; wave < chunks.size(); wave += devices) {
            int end = Math.min(chunks.size(), wave + devices);
            for (int c = wave; c < end; c++) {
                TokenBatch t = chunks.get(c);
                int r = c - wave;
                try (NDManager sub = owner(manager, r).newSubManager()) {
                    NDArray g =
                            grad.get(offset + ":" + (offset + t.batch()))
                                    .toDevice(sub.getDevice(), false);
                    rerun(modelOf(r), sub, t, g, DropoutSeeds.mix(seed, c));
                }
                offset += t.batch();
            }
            for (int r = 1; r < end - wave; r++) {
                replicas.gather(r);
            }
        }
    }

    /** Replica {@code r}'s model (0: the primary). */
    private NvEmbedModel modelOf(int r) {
        return r == 0 ? model : replicas.model(r);
    }

    /** Where replica {@code r}'s temporaries go (0: the step's manager). */
    private NDManager owner(NDManager step, int r) {
        return r == 0 ? step : replicas.manager(r);
    }

    /**
     * One chunk's re-run with a graph and its backward of {@code sum(embeddings * g)}: through the
     * whole chunk's graph, or one layer at a time ({@link LayerRecompute}).
     */
    private void rerun(NvEmbedModel on, NDManager sub, TokenBatch t, NDArray g, int chunkSeed) {
        if (recomputeLayers) {
            LayerRecompute.backward(
                    on, new ParameterStore(sub, false), t.toNDList(sub), g, chunkSeed);
            return;
        }
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(embed(on, sub, t, chunkSeed).mul(g).sum());
        }
    }

    /** The embeddings of a chunk in training mode, its layers' dropout seeded from chunkSeed. */
    private static NDArray embed(NvEmbedModel on, NDManager m, TokenBatch t, int chunkSeed) {
        return on.forward(
                        new ParameterStore(m, false),
                        t.toNDList(m),
                        true,
                        DropoutSeeds.params(chunkSeed))
                .singletonOrThrow();
    }
}
