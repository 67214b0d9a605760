package io.embedforge.train.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.TorchArrays;
import io.embedforge.train.loss.TinyModels;
import io.embedforge.train.loss.Trainables;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A decoder layer, its attention and its MLP run in their own sub-manager ({@link
 * FixedShapeBlock#forwardScoped}): the intermediates are closed before the backward pass, and the
 * backward still works, with the same gradients bit for bit, because autograd keeps its own
 * references to what it saved. Fails if closing the Java handles broke the graph (an error, or
 * different or zero gradients) or if the scope stopped freeing the intermediates.
 */
class ScopedForwardTest {

    private static final int LEN = 6;

    /** One forward and backward of the layer: output, gradients, arrays held after the forward. */
    private record Run(float[] out, float[] inputGrad, Map<String, float[]> grads, int held) {}

    @Test
    void scopedAttentionFreesIntermediatesAndKeepsGradientsBitwise() throws IOException {
        check(MistralAttention.class, 4 * 2);
    }

    @Test
    void scopedMlpFreesIntermediatesAndKeepsGradientsBitwise() throws IOException {
        check(MistralMlp.class, 3 * 2);
    }

    @Test
    void scopedLayerFreesIntermediatesAndKeepsGradientsBitwise() throws IOException {
        check(MistralDecoderLayer.class, 7 * 2);
    }

    /**
     * The block of the first decoder layer, unscoped then scoped: same output and gradients bit for
     * bit (input and every LoRA weight, none all zero), and the scoped forward leaves only its
     * output in the chunk's manager while the plain one leaves many intermediates.
     */
    private static void check(Class<? extends Block> kind, int trainables) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = TinyModels.tiny(m, 0.0, 11);
            Block block = find(model.decoder(), kind);
            List<Parameter> params = new ArrayList<>();
            for (Parameter p : block.getParameters().values()) {
                if (p.requiresGradient()) {
                    params.add(p);
                }
            }
            assertEquals(trainables, params.size(), "LoRA A and B of each projection");
            MistralConfig c = model.decoder().config();
            Run plain = run(m, c, block, params, false);
            Run scoped = run(m, c, block, params, true);
            assertArrayEquals(plain.out(), scoped.out());
            assertArrayEquals(plain.inputGrad(), scoped.inputGrad());
            assertTrue(nonZero(scoped.inputGrad()), "input gradient is all zero");
            for (Parameter p : params) {
                float[] g = scoped.grads().get(p.getName());
                assertArrayEquals(plain.grads().get(p.getName()), g, p.getName());
                assertTrue(nonZero(g), p.getName() + " gradient is all zero");
            }
            assertEquals(1, scoped.held(), "arrays the scoped forward left: only its output");
            assertTrue(plain.held() > 5, "arrays the plain forward left: " + plain.held());
        }
    }

    private static Block find(Block root, Class<? extends Block> kind) {
        if (kind.isInstance(root)) {
            return root;
        }
        for (Block b : root.getChildren().values()) {
            try {
                return find(b, kind);
            } catch (IllegalStateException e) {
                // not under this child
            }
        }
        throw new IllegalStateException("no " + kind.getSimpleName());
    }

    private static Run run(
            NDManager m, MistralConfig c, Block block, List<Parameter> params, boolean scoped) {
        Trainables.zeroGradients(params);
        try (NDManager chunk = m.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            float[] xs = new float[LEN * c.hiddenSize()];
            float[] ws = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) Math.sin(0.37 * i);
                ws[i] = (float) Math.cos(0.11 * i);
            }
            Shape s = new Shape(1, LEN, c.hiddenSize());
            NDArray x = TorchArrays.of(chunk, xs, s);
            x.setRequiresGradient(true);
            long[] ones = new long[LEN];
            Arrays.fill(ones, 1);
            NDArray bias =
                    MistralDecoder.maskBias(
                            TorchArrays.of(chunk, ones, new Shape(1, LEN)),
                            AttentionMaskMode.BIDIRECTIONAL);
            NDList rope = RotaryEmbedding.tables(chunk, LEN, c.headDim(), c.ropeTheta());
            NDList in =
                    block instanceof MistralMlp
                            ? new NDList(x)
                            : new NDList(x, bias, rope.get(0), rope.get(1));
            ParameterStore ps = new ParameterStore(chunk, false);
            int before = chunk.getManagedArrays().size();
            NDArray out =
                    (scoped
                                    ? FixedShapeBlock.forwardScoped(block, ps, in, true)
                                    : block.forward(ps, in, true))
                            .singletonOrThrow();
            int held = chunk.getManagedArrays().size() - before;
            gc.backward(out.mul(TorchArrays.of(chunk, ws, s)).sum());
            Map<String, float[]> grads = new LinkedHashMap<>();
            for (Parameter p : params) {
                grads.put(p.getName(), p.getArray().getGradient().toFloatArray());
            }
            return new Run(out.toFloatArray(), x.getGradient().toFloatArray(), grads, held);
        }
    }

    private static boolean nonZero(float[] v) {
        for (float f : v) {
            if (f != 0f) {
                return true;
            }
        }
        return false;
    }
}
