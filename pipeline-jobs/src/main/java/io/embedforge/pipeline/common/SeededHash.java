package io.embedforge.pipeline.common;

import java.nio.charset.StandardCharsets;

/**
 * Randomness that does not depend on partitioning: every random choice is a pure function of the
 * configured seed and a stable id (and, where one id needs several draws, a salt). Shuffles sort by
 * {@link #rank}; samples keep rows whose {@link #uniform} falls under a rate.
 *
 * <p>The mixing is 64-bit FNV-1a over the UTF-8 bytes followed by the SplitMix64 finaliser: fast,
 * well spread and identical on every JVM. Runs on executors; stateless and thread-safe.
 */
public final class SeededHash {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private SeededHash() {}

    /** A well-mixed 64-bit value of (seed, id, salt). */
    public static long rank(long seed, String id, String salt) {
        long h = FNV_OFFSET ^ mix(seed);
        h = fnv(h, id);
        h = (h ^ 0x1F) * FNV_PRIME;
        h = fnv(h, salt);
        return mix(h);
    }

    /** A well-mixed 64-bit value of (seed, id). */
    public static long rank(long seed, String id) {
        return rank(seed, id, "");
    }

    /** A double uniformly distributed in [0, 1) from (seed, id, salt). */
    public static double uniform(long seed, String id, String salt) {
        return (rank(seed, id, salt) >>> 11) * 0x1.0p-53;
    }

    /** A double uniformly distributed in [0, 1) from (seed, id). */
    public static double uniform(long seed, String id) {
        return uniform(seed, id, "");
    }

    private static long fnv(long h, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            h ^= (b & 0xFF);
            h *= FNV_PRIME;
        }
        return h;
    }

    /** SplitMix64 finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
