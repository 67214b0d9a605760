package io.embedforge.train.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/**
 * A float tensor held in the Java heap, the unit the {@link SafetensorsWriter} writes. Used only
 * for the small trainable parameters (LoRA, latent head) and for tests, never for a base model.
 *
 * @param shape the dimensions
 * @param values row-major values; {@code values.length} equals the product of {@code shape}
 */
public record HostTensor(long[] shape, float[] values) {

    /** Checks that the values fill the shape exactly. */
    public HostTensor {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(
                        "shape=" + Arrays.toString(shape) + " has a negative dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != values.length) {
            throw new IllegalArgumentException(
                    "values.length="
                            + values.length
                            + " must equal the element count "
                            + n
                            + " of shape="
                            + Arrays.toString(shape));
        }
    }

    /** Copies an NDArray (any float type) to the heap as float32. */
    public static HostTensor of(NDArray array) {
        try (NDArray f = array.toType(DataType.FLOAT32, true)) {
            return new HostTensor(array.getShape().getShape(), f.toFloatArray());
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor h
                && Arrays.equals(shape, h.shape)
                && Arrays.equals(values, h.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "HostTensor" + Arrays.toString(shape);
    }
}
