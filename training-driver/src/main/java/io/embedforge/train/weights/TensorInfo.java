package io.embedforge.train.weights;

import java.util.Arrays;

/**
 * One entry of a safetensors header: where a tensor's bytes are, relative to the start of the data
 * section, and how to read them.
 *
 * @param name the tensor name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype the element type on disk
 * @param shape the dimensions (empty for a scalar)
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

    /** Validates what can be checked without the file: offsets and the byte count of the shape. */
    public TensorInfo {
        shape = shape.clone();
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(
                    "tensor "
                            + name
                            + ": data_offsets=["
                            + begin
                            + ", "
                            + end
                            + "] must satisfy 0 <= begin <= end");
        }
        long expected = numElements(shape, name) * dtype.bytes();
        if (end - begin != expected) {
            throw new IllegalArgumentException(
                    "tensor "
                            + name
                            + ": data_offsets=["
                            + begin
                            + ", "
                            + end
                            + "] span "
                            + (end - begin)
                            + " bytes but dtype="
                            + dtype
                            + " shape="
                            + Arrays.toString(shape)
                            + " needs "
                            + expected);
        }
    }

    /** Number of elements. */
    public long numElements() {
        return numElements(shape, name);
    }

    /** A defensive copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Byte length of the tensor's data. */
    public long byteLength() {
        return end - begin;
    }

    private static long numElements(long[] shape, String name) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(
                        "tensor "
                                + name
                                + ": shape="
                                + Arrays.toString(shape)
                                + " has a negative dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + "[" + dtype + " " + Arrays.toString(shape) + " @" + begin + ".." + end + "]";
    }
}
