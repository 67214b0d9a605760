package io.embedforge.train.tokenize;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.embedforge.train.TorchArrays;

/**
 * A right-padded batch ready for {@link io.embedforge.train.model.NvEmbedModel}: token ids,
 * attention mask (1 = token) and pooling mask (attention mask with BOS and the instruction prefix
 * set to 0), all {@code batch x length} in row-major order.
 *
 * @param batch number of rows
 * @param length padded length (longest row)
 * @param ids token ids
 * @param attentionMask 1 for tokens, 0 for padding
 * @param poolingMask 1 for tokens that are pooled
 * @param instructionTokens per row, how many tokens after BOS belong to the instruction prefix
 */
public record TokenBatch(
        int batch,
        int length,
        long[] ids,
        long[] attentionMask,
        long[] poolingMask,
        int[] instructionTokens) {

    /** The three model inputs as int64 arrays {@code (batch, length)}. */
    public NDList toNDList(NDManager manager) {
        Shape s = new Shape(batch, length);
        return new NDList(
                TorchArrays.of(manager, ids, s),
                TorchArrays.of(manager, attentionMask, s),
                TorchArrays.of(manager, poolingMask, s));
    }

    /** Number of non-padding tokens in the batch (for throughput figures). */
    public long tokenCount() {
        long n = 0;
        for (long m : attentionMask) {
            n += m;
        }
        return n;
    }
}
