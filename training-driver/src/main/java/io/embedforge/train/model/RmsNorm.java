package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.embedforge.train.TorchArrays;

/**
 * Root-mean-square layer norm (Zhang and Sennrich 2019) as in Mistral: {@code w * x /
 * sqrt(mean(x^2) + eps)}, computed in float32 and cast back, like {@code MistralRMSNorm}.
 */
final class RmsNorm extends FixedShapeBlock {

    private final Parameter weight;
    private final float eps;

    RmsNorm(String name, int dim, double eps, boolean trainable) {
        this.weight = param(name + ".weight", Parameter.Type.GAMMA, trainable, dim);
        this.eps = (float) eps;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return new NDList(apply(x, value(ps, weight, x, training)));
    }

    NDArray apply(NDArray x, NDArray w) {
        NDArray xf = TorchArrays.cast(x, DataType.FLOAT32);
        NDArray var = xf.square().mean(new int[] {-1}, true);
        NDArray normed = TorchArrays.cast(xf.div(var.add(eps).sqrt()), x.getDataType());
        return normed.mul(w);
    }
}
