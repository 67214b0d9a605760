package io.embedforge.train.eval;

import java.util.List;

/**
 * Anything that turns texts into L2-normalised vectors: the trained NV-Embed model ({@link
 * NvEmbedEmbedder}) or the E5 baseline ({@link E5Embedder}, over {@code
 * io.embedforge.encoder.TextEncoder}).
 */
public interface Embedder {

    /** Embeds queries, each with its task instruction. */
    float[][] embedQueries(String instruction, List<String> queries);

    /** Embeds documents (no instruction). */
    float[][] embedDocuments(List<String> documents);
}
