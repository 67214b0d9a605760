package io.embedforge.train.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.embedforge.train.NoGrad;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@link Embedder} over an NV-Embed model (inference mode, no dropout), in length-sorted chunks.
 */
public final class NvEmbedEmbedder implements Embedder {

    private final NvEmbedModel model;
    private final NvEmbedTokenizer tokenizer;
    private final NDManager manager;
    private final int chunk;

    /**
     * @param model trained or untrained model
     * @param tokenizer matching tokenizer
     * @param manager parent of the per-chunk temporaries
     * @param chunk sequences per forward
     */
    public NvEmbedEmbedder(
            NvEmbedModel model, NvEmbedTokenizer tokenizer, NDManager manager, int chunk) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.chunk = chunk;
    }

    @Override
    public float[][] embedQueries(String instruction, List<String> queries) {
        return embed(queries.stream().map(q -> EmbeddingInput.query(instruction, q)).toList());
    }

    @Override
    public float[][] embedDocuments(List<String> documents) {
        return embed(documents.stream().map(EmbeddingInput::document).toList());
    }

    /**
     * Embeds in chunks of inputs of similar length, and returns the vectors in input order. Each
     * chunk is padded to its longest row, so chunking in input order pays for padding whenever a
     * short text shares a chunk with a long one (instructed queries beside abstracts, tweets beside
     * reviews); sorting by token count first, as sentence-transformers' {@code encode} does, cuts
     * that waste. Padding is masked, so the vectors equal unsorted ones up to float rounding.
     */
    private float[][] embed(List<EmbeddingInput> inputs) {
        int[] order = byLength(inputs);
        float[][] out = new float[inputs.size()][];
        for (int from = 0; from < order.length; from += chunk) {
            int to = Math.min(order.length, from + chunk);
            List<EmbeddingInput> part = new ArrayList<>(to - from);
            for (int k = from; k < to; k++) {
                part.add(inputs.get(order[k]));
            }
            float[][] vectors = forward(part);
            for (int k = from; k < to; k++) {
                out[order[k]] = vectors[k - from];
            }
        }
        return out;
    }

    /** Input indices by token count (truncation included), ties in input order: deterministic. */
    private int[] byLength(List<EmbeddingInput> inputs) {
        int[] length = new int[inputs.size()];
        for (int i = 0; i < length.length; i++) {
            length[i] = Math.min(tokenizer.maxLength(), tokenizer.length(inputs.get(i)));
        }
        return IntStream.range(0, length.length)
                .boxed()
                .sorted(Comparator.comparingInt((Integer i) -> length[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    private float[][] forward(List<EmbeddingInput> part) {
        try (NoGrad noGrad = NoGrad.enter();
                NDManager sub = manager.newSubManager()) {
            float[] flat =
                    model.forward(
                                    new ParameterStore(sub, false),
                                    tokenizer.encode(part).toNDList(sub),
                                    false)
                            .singletonOrThrow()
                            .toFloatArray();
            int dim = flat.length / part.size();
            float[][] vectors = new float[part.size()][];
            for (int i = 0; i < part.size(); i++) {
                vectors[i] = Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
            }
            return vectors;
        }
    }
}
