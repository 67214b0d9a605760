package io.embedforge.train.weights;

import java.nio.ByteBuffer;

/**
 * Bit-exact conversions from the floating-point formats found in checkpoints to float32, done in
 * Java so that no bfloat16 value is ever handed to DJL's PyTorch engine (which aborts on it).
 */
public final class FloatConversions {

    private FloatConversions() {}

    /**
     * bfloat16 is the upper half of a float32: shifting the 16 bits left gives the exact value.
     *
     * @param bits the raw bfloat16 bits in the low 16 bits
     * @return the float32 value
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * IEEE 754 half precision to float32, exact (including subnormals, infinities and NaN).
     *
     * @param bits the raw float16 bits in the low 16 bits
     * @return the float32 value
     */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * float32 to bfloat16 bits with round-to-nearest-even (as PyTorch does); NaN stays NaN.
     *
     * @param value the float32 value
     * @return the bfloat16 bits
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /**
     * float32 to IEEE half-precision bits with round-to-nearest-even; overflow gives infinity.
     *
     * @param value the float32 value
     * @return the float16 bits
     */
    public static short floatToF16(float value) {
        int f = Float.floatToRawIntBits(value);
        int sign = (f >>> 16) & 0x8000;
        int abs = f & 0x7fffffff;
        if (abs >= 0x7f800000) {
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        }
        if (abs >= 0x477ff000) {
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) {
            if (abs < 0x33000000) {
                return (short) sign;
            }
            int exp = abs >>> 23;
            int mant = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exp;
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (((abs >>> 23) - 112) << 10) | ((abs & 0x7fffff) >>> 13);
        int rem = abs & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }

    /**
     * Converts a buffer of little-endian values of {@code type} to float32 in {@code out}.
     *
     * @param type the source element type (F64, F32, F16 or BF16)
     * @param in source bytes, little-endian, positioned at the first element
     * @param out destination with room for every element
     */
    static void toFloat32(SafetensorsDType type, ByteBuffer in, ByteBuffer out) {
        switch (type) {
            case F32 -> out.asFloatBuffer().put(in.asFloatBuffer());
            case BF16 -> {
                while (in.remaining() >= 2) {
                    out.putFloat(bf16ToFloat(in.getShort()));
                }
            }
            case F16 -> {
                while (in.remaining() >= 2) {
                    out.putFloat(f16ToFloat(in.getShort()));
                }
            }
            case F64 -> {
                while (in.remaining() >= 8) {
                    out.putFloat((float) in.getDouble());
                }
            }
            default ->
                    throw new IllegalArgumentException(
                            "dtype="
                                    + type
                                    + " is not a floating-point type; allowed: F64, F32, F16, BF16");
        }
    }
}
