package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

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
