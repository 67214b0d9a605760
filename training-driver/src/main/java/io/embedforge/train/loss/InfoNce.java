package io.embedforge.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.embedforge.train.TorchArrays;

/**
 * InfoNCE over L2-normalised embeddings: {@code -mean_i log softmax_j(q_i . d_j / T)[pos_i]} over
 * the candidates the {@link ContrastiveBatch} mask allows. Masked scores are pushed to a large
 * negative number rather than removed, so the computation stays one dense matrix product.
 *
 * <p>The mean is over the examples that have at least one negative candidate: a row whose only
 * candidate is its own positive (stage 2, no hard negatives) has a loss of exactly 0 and no
 * gradient, so counting it would only shrink the loss and the gradient of the other rows by a
 * batch-dependent factor. Such rows are counted ({@link ContrastiveBatch#rowsWithoutNegatives},
 * {@code rows_without_negatives} in {@code metrics.jsonl}); a batch made only of them has loss 0.
 */
public final class InfoNce {

    /** E5-mistral's temperature, which NV-Embed's summary does not state. */
    public static final double DEFAULT_TEMPERATURE = 0.02;

    private static final float MASKED = -1e9f;

    private InfoNce() {}

    /**
     * The mean loss over the examples with negatives (a scalar, differentiable in both inputs).
     *
     * @param embeddings {@code (examples + documents, hidden)}: queries first, as in {@link
     *     ContrastiveBatch#sequences()}
     * @param batch layout and mask
     * @param temperature softmax temperature
     */
    public static NDArray loss(NDArray embeddings, ContrastiveBatch batch, double temperature) {
        NDManager m = embeddings.getManager();
        int b = batch.examples();
        int d = batch.documents().size();
        NDArray q = embeddings.get("0:" + b);
        NDArray docs = embeddings.get(b + ":");
        NDArray scores = q.matMul(docs.transpose()).div(TorchArrays.scalar(m, (float) temperature));
        NDArray allowed = TorchArrays.of(m, batch.allowed(), new Shape(b, d));
        NDArray masked = scores.mul(allowed).add(allowed.sub(1).mul(-MASKED));
        float[] target = new float[b * d];
        int counted = 0;
        for (int i = 0; i < b; i++) {
            if (batch.hasNegatives(i)) {
                target[i * d + batch.positive()[i]] = 1f;
                counted++;
            }
        }
        NDArray logProb = masked.logSoftmax(1);
        return logProb.mul(TorchArrays.of(m, target, new Shape(b, d)))
                .sum()
                .neg()
                .div(TorchArrays.scalar(m, Math.max(1, counted)));
    }
}
