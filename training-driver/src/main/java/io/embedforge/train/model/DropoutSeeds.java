package io.embedforge.train.model;

import ai.djl.engine.Engine;
import ai.djl.util.PairList;

/**
 * Seeds of the LoRA dropout masks. LoRA dropout draws from libtorch's global generator, so a mask
 * is reproducible only if the generator is seeded right before the op that draws it. GradCache
 * seeds from {@code (step seed, chunk)}; the decoder then re-seeds before every layer from {@code
 * (chunk seed, layer index)}, so a layer's masks do not depend on the layers run before it. That is
 * what lets per-layer recomputation ({@link LayerRecompute}) re-run layers one at a time, last
 * first, and still draw every mask of the forward it replays.
 */
public final class DropoutSeeds {

    /** The key of the chunk seed in a block's forward parameters. */
    static final String KEY = "dropout_seed";

    private DropoutSeeds() {}

    /** A 31-bit seed mixed from {@code seed} and {@code index} (SplitMix64's finaliser). */
    public static int mix(long seed, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + index + 1;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) ((z ^ (z >>> 31)) & 0x7fffffff);
    }

    /**
     * The forward parameters that make the decoder seed each layer from {@code chunkSeed} (pass to
     * {@code Block.forward(ps, inputs, training, params)}).
     */
    public static PairList<String, Object> params(int chunkSeed) {
        PairList<String, Object> p = new PairList<>();
        p.add(KEY, chunkSeed);
        return p;
    }

    /** The chunk seed in {@code params}, or {@code null} if none was given. */
    static Integer of(PairList<String, Object> params) {
        return params == null ? null : (Integer) params.get(KEY);
    }

    /** Seeds libtorch's generator for layer {@code layer} of the chunk seeded {@code chunkSeed}. */
    static void seedLayer(int chunkSeed, int layer) {
        Engine.getInstance().setRandomSeed(mix(chunkSeed, layer));
    }
}
