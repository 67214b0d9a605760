package io.embedforge.train.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import io.embedforge.train.TorchArrays;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Deterministic initial values drawn in Java from {@code hash(seed, parameter name)}, so a
 * parameter's values depend on neither the engine's global generator nor the order in which
 * parameters are built.
 */
public final class SeededInitializer implements Initializer {

    /** The distribution to draw from. */
    public enum Kind {
        /** All zeros. */
        ZEROS,
        /** All ones. */
        ONES,
        /** Normal(0, scale). */
        NORMAL,
        /** Uniform(-scale, scale). */
        UNIFORM
    }

    private final Kind kind;
    private final double scale;
    private final long seed;

    /**
     * @param kind the distribution
     * @param scale standard deviation (normal) or bound (uniform)
     * @param seed run seed
     * @param name parameter name mixed into the seed
     */
    public SeededInitializer(Kind kind, double scale, long seed, String name) {
        this.kind = kind;
        this.scale = scale;
        this.seed = mix(seed, name);
    }

    static long mix(long seed, String name) {
        long h = seed ^ 0x9E3779B97F4A7C15L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ b) * 0x100000001B3L;
        }
        return h;
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        int n = Math.toIntExact(shape.size());
        float[] v = new float[n];
        SplittableRandom r = new SplittableRandom(seed);
        switch (kind) {
            case ONES -> java.util.Arrays.fill(v, 1f);
            case NORMAL -> {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (gaussian(r) * scale);
                }
            }
            case UNIFORM -> {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
                }
            }
            default -> {}
        }
        NDArray a = TorchArrays.of(manager, v, shape);
        return dataType == DataType.FLOAT32 ? a : a.toType(dataType, false);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
