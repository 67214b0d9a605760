package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.embedforge.train.TorchArrays;

/**
 * A bias-free projection {@code y = x W^T} with a frozen base weight and, if configured, a LoRA
 * update {@code (alpha/r) * dropout(x) A^T B^T} computed in float32 (PEFT's formulation and
 * parameter names: {@code <name>.lora_A.weight} is {@code r x in}, {@code <name>.lora_B.weight} is
 * {@code out x r}).
 */
final class LoraLinear extends FixedShapeBlock {

    private final Parameter weight;
    private final Parameter loraA;
    private final Parameter loraB;
    private final float scaling;
    private final float dropout;

    /**
     * @param name the projection's name without {@code .weight}
     * @param in input width
     * @param out output width
     * @param lora adapter settings, or {@code null} for a plain frozen projection
     */
    LoraLinear(String name, int in, int out, LoraConfig lora) {
        this.weight = param(name + ".weight", Parameter.Type.WEIGHT, false, out, in);
        if (lora != null) {
            loraA = param(name + ".lora_A.weight", Parameter.Type.WEIGHT, true, lora.rank(), in);
            loraB = param(name + ".lora_B.weight", Parameter.Type.WEIGHT, true, out, lora.rank());
            scaling = (float) lora.scaling();
            dropout = (float) lora.dropout();
        } else {
            loraA = null;
            loraB = null;
            scaling = 0;
            dropout = 0;
        }
    }

    boolean hasAdapter() {
        return loraA != null;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = value(ps, weight, x, training);
        NDArray y = x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
        if (loraA == null) {
            return new NDList(y);
        }
        NDArray xf = TorchArrays.cast(x, DataType.FLOAT32);
        if (training && dropout > 0) {
            xf = xf.getNDArrayInternal().dropout(xf, dropout, true).singletonOrThrow();
        }
        NDArray a = value(ps, loraA, x, training);
        NDArray b = value(ps, loraB, x, training);
        NDArray down = xf.getNDArrayInternal().linear(xf, a, null).singletonOrThrow();
        NDArray up = down.getNDArrayInternal().linear(down, b, null).singletonOrThrow();
        return new NDList(
                y.add(
                        TorchArrays.cast(
                                up.mul(TorchArrays.scalar(up.getManager(), scaling)),
                                y.getDataType())));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] in) {
        long[] s = in[0].getShape();
        s[s.length - 1] = weight.getShape().get(0);
        return new Shape[] {new Shape(s)};
    }
}
