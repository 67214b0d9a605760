package io.embedforge.train.eval;

import java.util.List;

/**
 * Anything that turns texts into L2-normalised vectors: the trained NV-Embed model ({@link
 * NvEmbedEmbedder}) or a baseline such as the E5 encoder (an adapter over {@code
 * io.embedforge.encoder}, which lives on another branch).
 */
public interface Embedder {

    /** Embeds queries, each with its task instruction. */
    float[][] embedQueries(String instruction, List<String> queries);

    /** Embeds documents (no instruction). */
    float[][] embedDocuments(List<String> documents);
}
