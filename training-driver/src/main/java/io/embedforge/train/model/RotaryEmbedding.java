package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.embedforge.train.TorchArrays;

/**
 * Rotary position embeddings (Su et al. 2021) in the "rotate half" layout of Hugging Face Llama and
 * Mistral: {@code x * cos + rotate_half(x) * sin}, with the angle of position {@code p} and pair
 * {@code i} equal to {@code p / theta^(2i/d)}. Angles are computed in float32 arithmetic as {@code
 * transformers} does, so results agree with it to float32 rounding.
 */
final class RotaryEmbedding {

    private RotaryEmbedding() {}

    /**
     * Tables for positions {@code 0..seqLen-1}.
     *
     * @return {@code [cos, sin]}, each {@code (seqLen, headDim)} float32
     */
    static NDList tables(NDManager manager, int seqLen, int headDim, double theta) {
        int half = headDim / 2;
        float[] cos = new float[seqLen * headDim];
        float[] sin = new float[seqLen * headDim];
        float[] invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            invFreq[i] = 1f / (float) Math.pow((float) theta, exponent);
        }
        for (int p = 0; p < seqLen; p++) {
            for (int i = 0; i < half; i++) {
                float angle = invFreq[i] * (float) p;
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * headDim + i] = c;
                cos[p * headDim + i + half] = c;
                sin[p * headDim + i] = s;
                sin[p * headDim + i + half] = s;
            }
        }
        Shape shape = new Shape(seqLen, headDim);
        return new NDList(TorchArrays.of(manager, cos, shape), TorchArrays.of(manager, sin, shape));
    }

    /** Applies the rotation to {@code x} of shape {@code (..., seqLen, headDim)}. */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long d = x.getShape().getLastDimension();
        NDArray x1 = x.get("..., :" + d / 2);
        NDArray x2 = x.get("..., " + d / 2 + ":");
        NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
        DataType t = x.getDataType();
        return x.mul(cos.toType(t, false)).add(rotated.mul(sin.toType(t, false)));
    }
}
