package io.embedforge.encoder;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Sets the intra-op thread count of DJL's PyTorch engine (a JVM-wide setting of libtorch). The
 * TorchScript encoder and the dense miner's matrix products both run on this engine; giving it
 * exactly the executor's cores avoids oversubscription when Spark runs several tasks per JVM (their
 * native calls are serialised by the callers).
 */
public final class PyTorchThreads {
    private PyTorchThreads() {}

    /** A thread count as configured: 0 or less means every core of the JVM. */
    public static int resolve(int threads) {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** Sets libtorch's intra-op threads; 0 or less means every core of the JVM. */
    public static synchronized void set(int threads) {
        int n = resolve(threads);
        Engine.getEngine("PyTorch");
        if (JniUtils.getNumThreads() != n) {
            JniUtils.setNumThreads(n);
        }
    }
}
