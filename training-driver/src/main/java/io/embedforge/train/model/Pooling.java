package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.embedforge.train.TorchArrays;

/**
 * The pooling arithmetic shared by every head: masked mean (NV-Embed, skipping padding and
 * instruction tokens), last token (the {@code <EOS>} of right-padded inputs, for the ablation), and
 * L2 normalisation as {@code torch.nn.functional.normalize} (eps 1e-12).
 */
public final class Pooling {

    private Pooling() {}

    /**
     * Mean over positions where {@code mask} is 1.
     *
     * @param h {@code (B, L, D)}
     * @param mask {@code (B, L)}
     * @return {@code (B, D)} float32
     */
    public static NDArray maskedMean(NDArray h, NDArray mask) {
        NDArray m = mask.toType(DataType.FLOAT32, false);
        NDArray hf = TorchArrays.cast(h, DataType.FLOAT32);
        NDArray sum = hf.mul(m.expandDims(-1)).sum(new int[] {1});
        NDArray count = m.sum(new int[] {1}, true);
        return sum.div(count);
    }

    /**
     * The hidden state of the last non-padding position of each right-padded row.
     *
     * @param h {@code (B, L, D)}
     * @param attentionMask {@code (B, L)}, 1 for tokens
     * @return {@code (B, D)} float32
     */
    public static NDArray lastToken(NDArray h, NDArray attentionMask) {
        NDArray m = attentionMask.toType(DataType.FLOAT32, false);
        long len = m.getShape().get(1);
        NDArray last = m.sum(new int[] {1}, true).sub(1f);
        NDArray pos =
                m.getManager()
                        .arange(0f, (float) len)
                        .reshape(1, len)
                        .toDevice(m.getDevice(), false);
        NDArray pick = pos.eq(last).toType(DataType.FLOAT32, false);
        return TorchArrays.cast(h, DataType.FLOAT32).mul(pick.expandDims(-1)).sum(new int[] {1});
    }

    /** Rows divided by {@code max(||row||_2, 1e-12)}. */
    public static NDArray l2Normalize(NDArray x) {
        NDArray norm =
                x.square()
                        .sum(new int[] {-1}, true)
                        .sqrt()
                        .maximum(TorchArrays.scalar(x.getManager(), 1e-12f));
        return x.div(norm);
    }
}
