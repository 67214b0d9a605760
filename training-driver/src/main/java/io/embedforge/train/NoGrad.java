package io.embedforge.train;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope in which libtorch records no autograd graph, restoring the previous mode on close.
 *
 * <p>libtorch's grad mode is per thread and on by default; DJL switches it off only in the thread
 * that first loads the engine and switches it on inside a {@code GradientCollector}. So whether an
 * operation outside a collector is recorded depends on which thread loaded PyTorch first: after a
 * Spark stage loaded it on an executor thread, the driver thread still records graphs, an in-place
 * optimizer update on a parameter fails ("a leaf Variable that requires grad is being used in an
 * in-place operation"), and a "no-grad" forward keeps every activation alive. Optimizer updates,
 * gradient clipping and the cached forward pass of GradCache therefore run in this scope.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;

    private NoGrad() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    /** Enters the scope; use with try-with-resources. */
    public static NoGrad enter() {
        return new NoGrad();
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
