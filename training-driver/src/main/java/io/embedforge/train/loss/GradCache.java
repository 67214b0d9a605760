package io.embedforge.train.loss;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.NoGrad;
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
 * <p>LoRA dropout draws from libtorch's global generator; each chunk re-seeds it from {@code (step
 * seed, chunk)} before both passes, so the re-run sees the same dropout masks as the cached pass,
 * and a resumed run sees the same masks as an uninterrupted one.
 */
public final class GradCache {

    private final NvEmbedModel model;
    private final NvEmbedTokenizer tokenizer;
    private final int chunkSize;
    private final double temperature;

    /**
     * @param model the model; its trainable parameters receive (accumulate) gradients
     * @param tokenizer tokeniser matching the model
     * @param chunkSize sequences per forward chunk
     * @param temperature InfoNCE temperature
     */
    public GradCache(
            NvEmbedModel model, NvEmbedTokenizer tokenizer, int chunkSize, double temperature) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize=" + chunkSize + " must be >= 1");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.chunkSize = chunkSize;
        this.temperature = temperature;
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
        List<EmbeddingInput> seqs = batch.sequences();
        long tokens = 0;
        for (TokenBatch t : chunks) {
            tokens += t.tokenCount();
        }
        NDList cached = new NDList();
        for (int c = 0; c < chunks.size(); c++) {
            try (NoGrad noGrad = NoGrad.enter();
                    NDManager sub = manager.newSubManager()) {
                seedChunk(seed, c);
                NDArray e = embed(sub, chunks.get(c)).stopGradient();
                e.attach(manager);
                cached.add(e);
            }
        }
        NDArray all = NDArrays.concat(cached);
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
        int offset = 0;
        for (int c = 0; c < chunks.size(); c++) {
            TokenBatch t = chunks.get(c);
            try (NDManager sub = manager.newSubManager()) {
                seedChunk(seed, c);
                NDArray g = grad.get(offset + ":" + (offset + t.batch()));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray e = embed(sub, t);
                    gc.backward(e.mul(g).sum());
                }
            }
            offset += t.batch();
        }
        return new StepResult(loss, tokens, seqs.size());
    }

    /**
     * The plain computation: every sequence in one forward with a graph, one backward. Exists to
     * check {@link #step} (and to measure its overhead); with LoRA dropout its masks differ from
     * {@link #step}'s because the generator is seeded once, not per chunk.
     */
    public StepResult plainStep(NDManager manager, ContrastiveBatch batch, long seed) {
        TokenBatch t = tokenizer.encode(batch.sequences());
        seedChunk(seed, 0);
        double loss;
        try (NDManager sub = manager.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = InfoNce.loss(embed(sub, t), batch, temperature);
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

    private NDArray embed(NDManager m, TokenBatch t) {
        return model.forward(new ParameterStore(m, false), t.toNDList(m), true).singletonOrThrow();
    }

    private static void seedChunk(long seed, int chunk) {
        long z = seed * 0x9E3779B97F4A7C15L + chunk + 1;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        Engine.getInstance().setRandomSeed((int) ((z ^ (z >>> 31)) & 0x7fffffff));
    }
}
