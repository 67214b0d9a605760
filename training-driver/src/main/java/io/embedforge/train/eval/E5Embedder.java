package io.embedforge.train.eval;

import io.embedforge.encoder.TextEncoder;
import java.util.List;

/**
 * {@link Embedder} over a {@link TextEncoder}, normally the embedded E5-small-v2: queries get the
 * encoder's query prefix ({@code "query: "}), documents its passage prefix ({@code "passage: "}).
 * E5-small-v2 takes no task instruction, so the instruction is ignored (as in E5's own MTEB runs);
 * STS pairs are embedded as queries on both sides, again as E5 does.
 */
public final class E5Embedder implements Embedder {

    private final TextEncoder encoder;

    /**
     * @param encoder a loaded encoder (the caller closes it); must normalise
     */
    public E5Embedder(TextEncoder encoder) {
        if (!encoder.config().normalize()) {
            throw new IllegalArgumentException(
                    "the evaluation needs L2-normalised vectors: encoder.normalize must be true");
        }
        this.encoder = encoder;
    }

    @Override
    public float[][] embedQueries(String instruction, List<String> queries) {
        return encoder.encodeQueries(queries);
    }

    @Override
    public float[][] embedDocuments(List<String> documents) {
        return encoder.encodePassages(documents);
    }
}
