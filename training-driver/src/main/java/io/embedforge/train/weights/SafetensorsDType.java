package io.embedforge.train.weights;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Element types of the safetensors format, with their width in bytes.
 *
 * <p>Kept separate from DJL's {@code DataType} on purpose: a checkpoint may hold {@link #BF16}
 * tensors, and DJL's PyTorch engine aborts the JVM on bfloat16, so the reader must know the on-disk
 * type without ever asking DJL to represent it.
 */
public enum SafetensorsDType {
    F64(8),
    F32(4),
    F16(2),
    BF16(2),
    I64(8),
    I32(4),
    I16(2),
    I8(1),
    U8(1),
    BOOL(1);

    private final int bytes;

    SafetensorsDType(int bytes) {
        this.bytes = bytes;
    }

    /** Width of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Whether the reader can convert this type to float32/float16 weights. */
    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * Parses the dtype string of a safetensors header.
     *
     * @param text the header value, e.g. {@code "BF16"}
     * @return the dtype
     * @throws IllegalArgumentException naming the value and the allowed ones
     */
    public static SafetensorsDType parse(String text) {
        for (SafetensorsDType t : values()) {
            if (t.name().equals(text)) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                String.format(
                        Locale.ROOT,
                        "dtype=%s is not supported; allowed: %s",
                        text,
                        Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "))));
    }
}
