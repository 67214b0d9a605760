package io.embedforge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

/** Loading checkpoint values into arrays that libtorch owns. */
class TorchArraysTest {
    @Test
    void copyIntoOverwritesAParameterInPlaceAndKeepsItTrainable() {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            NDArray param = TorchArrays.of(m, new float[6], new Shape(2, 3));
            param.setRequiresGradient(true);
            boolean gradMode = JniUtils.isGradMode();
            float[] values = {1, 2, 3, 4, 5, 6};
            TorchArrays.copyInto(param, values);
            values[0] = 99; // the array holds a copy, not the Java array
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, param.toFloatArray());
            assertTrue(param.hasGradient());
            assertTrue(gradMode == JniUtils.isGradMode());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> TorchArrays.copyInto(param, new float[] {1, 2}));
        }
    }
}
