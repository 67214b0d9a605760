package io.embedforge.train.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.embedforge.train.NoGrad;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.util.ArrayList;
import java.util.List;

/** {@link Embedder} over an NV-Embed model (inference mode, no dropout), in chunks. */
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

    private float[][] embed(List<EmbeddingInput> inputs) {
        List<float[]> out = new ArrayList<>();
        for (int from = 0; from < inputs.size(); from += chunk) {
            List<EmbeddingInput> part = inputs.subList(from, Math.min(inputs.size(), from + chunk));
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
                for (int i = 0; i < part.size(); i++) {
                    float[] v = new float[dim];
                    System.arraycopy(flat, i * dim, v, 0, dim);
                    out.add(v);
                }
            }
        }
        return out.toArray(float[][]::new);
    }
}
