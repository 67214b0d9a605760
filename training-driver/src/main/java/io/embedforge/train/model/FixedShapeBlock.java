package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Base of this package's blocks. Every parameter's shape is known from the configuration when the
 * block is built, and every parameter is named with its Hugging Face / PEFT / NV-Embed name, so a
 * checkpoint maps onto the blocks by name alone and no shape inference is needed at initialisation.
 * Children are initialised with the parent's input shapes, which they ignore.
 */
abstract class FixedShapeBlock extends AbstractBlock {

    /** Adds a parameter of fixed shape; {@code trainable=false} freezes it from the start. */
    protected final Parameter param(
            String name, Parameter.Type type, boolean trainable, long... shape) {
        return addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(type)
                        .optShape(new Shape(shape))
                        .optRequiresGrad(trainable)
                        .build());
    }

    /** The current value of a parameter on the device of {@code like}. */
    protected static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
        return ps.getValue(p, like.getDevice(), training);
    }

    /**
     * Runs {@code block} with its intermediate arrays in a sub-manager that is closed on return,
     * keeping only the output (attached to the manager of the first input). In DJL every array of a
     * forward otherwise stays allocated until the chunk's manager closes, after the backward pass:
     * about 4x what autograd saves for the backward (docs/gpu.md, "Activation memory"). Closing a
     * DJL array only drops the Java handle's reference to the tensor; whatever autograd saved for
     * the backward stays referenced by libtorch's graph ({@code ScopedForwardTest} checks that the
     * gradients are unchanged). The inputs are attached to the sub-manager only for the call (so
     * that the arrays computed from them land there) and return to their managers afterwards.
     */
    protected static NDList forwardScoped(
            Block block, ParameterStore ps, NDList inputs, boolean training) {
        NDManager outer = inputs.get(0).getManager();
        try (NDManager scope = outer.newSubManager()) {
            Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (NDArray in : inputs) {
                if (seen.add(in)) {
                    in.tempAttach(scope);
                }
            }
            NDList out = block.forward(ps, inputs, training);
            out.attach(outer);
            return out;
        }
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        for (Block child : getChildren().values()) {
            child.initialize(manager, dataType, shapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
