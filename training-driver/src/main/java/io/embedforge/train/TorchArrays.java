package io.embedforge.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Java arrays copied into memory that libtorch owns.
 *
 * <p>DJL's {@code NDManager.create(float[])} hands libtorch a direct {@code ByteBuffer} without
 * copying ({@code torch::from_blob}); the Java side frees that buffer when the garbage collector
 * finds its {@code NDArray} closed or unreachable, while libtorch may still hold the storage, e.g.
 * as a tensor saved for backward, a view, or a gradient. Seen here: gradients that turned to
 * garbage or NaN exactly when a collection ran between forward and backward. Every array the model,
 * the loss or the trainer builds from Java data goes through this class, so libtorch never reads
 * memory the JVM may reclaim.
 */
public final class TorchArrays {

    private TorchArrays() {}

    /** A libtorch-owned float32 copy of {@code data} with the given shape. */
    public static NDArray of(NDManager manager, float[] data, Shape shape) {
        try (NDArray view = manager.create(data, shape)) {
            return view.duplicate();
        }
    }

    /** A libtorch-owned int64 copy of {@code data} with the given shape. */
    public static NDArray of(NDManager manager, long[] data, Shape shape) {
        try (NDArray view = manager.create(data, shape)) {
            return view.duplicate();
        }
    }

    /**
     * Overwrites every value of {@code target} in place with {@code data} (as many values, row
     * major), recording no autograd graph, so a parameter that requires gradients can be loaded
     * from a checkpoint. libtorch copies into the storage it owns. Not DJL's {@code
     * NDArray.set(float[])}: its JNI points the tensor at the Java buffer itself, and does so under
     * libtorch's deprecated {@code AutoNonVariableTypeMode}, which printed a deprecation warning on
     * stderr in every export, eval and resume.
     */
    public static void copyInto(NDArray target, float[] data) {
        try (NDManager scratch = target.getManager().newSubManager();
                NoGrad noGrad = NoGrad.enter()) {
            target.set(new NDIndex("..."), scratch.create(data, target.getShape()));
        }
    }

    /** A libtorch-owned float32 scalar (0-d), for arithmetic on tensors that need gradients. */
    public static NDArray scalar(NDManager manager, float value) {
        return of(manager, new float[] {value}, new Shape());
    }

    /**
     * {@code x} as {@code type}, recorded by autograd ({@code x} itself when it already has that
     * type). DJL's {@code toType} runs below autograd: its result has no gradient function, so each
     * cast of a float16 base's activations (to float32 for the LoRA branch, norms, softmax and the
     * latent head, and back) cut the graph, and with a float16 base no LoRA weight received any
     * gradient (measured on the tiny model: every LoRA gradient exactly 0, {@code
     * Float16GradientsTest}). A cumulative product with a result type over a new axis of length 1
     * is the same rounding as {@code toType} forward, and its backward passes the gradient through,
     * cast back (libtorch returns the gradient unchanged for a length-1 axis).
     */
    public static NDArray cast(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        return x.expandDims(-1).cumProd(-1, type).squeeze(-1);
    }
}
