package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A trainable {@code torch.nn.Linear}, with or without bias, named as in PyTorch ({@code .weight},
 * {@code .bias}).
 */
final class DenseLinear extends FixedShapeBlock {

    private final Parameter weight;
    private final Parameter bias;

    DenseLinear(String name, int in, int out, boolean withBias) {
        weight = param(name + ".weight", Parameter.Type.WEIGHT, true, out, in);
        bias = withBias ? param(name + ".bias", Parameter.Type.BIAS, true, out) : null;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray b = bias == null ? null : value(ps, bias, x, training);
        return x.getNDArrayInternal().linear(x, value(ps, weight, x, training), b);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] in) {
        long[] s = in[0].getShape();
        s[s.length - 1] = weight.getShape().get(0);
        return new Shape[] {new Shape(s)};
    }
}
