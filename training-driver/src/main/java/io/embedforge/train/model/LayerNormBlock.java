package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A trainable {@code torch.nn.LayerNorm(dim)} (eps 1e-5) with weight and bias, over the last axis.
 */
final class LayerNormBlock extends FixedShapeBlock {

    private final Parameter weight;
    private final Parameter bias;
    private final int dim;

    LayerNormBlock(String name, int dim) {
        this.dim = dim;
        weight = param(name + ".weight", Parameter.Type.GAMMA, true, dim);
        bias = param(name + ".bias", Parameter.Type.BETA, true, dim);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return x.getNDArrayInternal()
                .layerNorm(
                        x,
                        new Shape(dim),
                        value(ps, weight, x, training),
                        value(ps, bias, x, training),
                        1e-5f);
    }
}
