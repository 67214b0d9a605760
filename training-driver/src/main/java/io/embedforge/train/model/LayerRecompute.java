package io.embedforge.train.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.NoGrad;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Per-layer recomputation (activation checkpointing) for the backward pass of one GradCache chunk.
 * DJL has no checkpoint API and no custom autograd function, so this uses GradCache's own trick one
 * level down: run the decoder without a graph keeping only each layer's input (in the base's type:
 * 2 bytes per hidden unit and token on the float16 path), then, from the pooling head back to the
 * first layer, re-run one piece with a graph from its stored input, back-propagate {@code
 * sum(output * gradOutput)} and take the input's gradient as the previous piece's {@code
 * gradOutput}. The trainables' gradients then accumulate exactly as in one backward through the
 * whole graph, while the memory held is the stored inputs plus one layer's graph instead of every
 * layer's graph (docs/gpu.md, "Activation memory"). Costs one more forward of the decoder.
 *
 * <p>LoRA dropout must draw the same masks in the replay as in the forward that produced the
 * embeddings, although the layers now run in reverse order: the decoder seeds each layer from
 * {@code (chunk seed, layer)} ({@link DropoutSeeds}), in every pass, so a layer's masks do not
 * depend on what ran before it.
 */
public final class LayerRecompute {

    private LayerRecompute() {}

    /**
     * Adds to the trainables' gradients those of {@code sum(model(inputs) * gradOutput)}, as a
     * forward with a graph and {@code backward} would.
     *
     * @param model the model; its forward in training mode with {@code chunkSeed}
     * @param ps parameter store of the chunk
     * @param inputs the model's inputs ({@link NvEmbedModel}), in the chunk's manager
     * @param gradOutput gradient of the loss (times the loss scale) with respect to the embeddings
     * @param chunkSeed the chunk's dropout seed, as given to the forward that is replayed
     */
    public static void backward(
            NvEmbedModel model,
            ParameterStore ps,
            NDList inputs,
            NDArray gradOutput,
            int chunkSeed) {
        MistralDecoder d = model.decoder();
        NDManager m = inputs.get(0).getManager();
        List<NDArray> stored = new ArrayList<>();
        MistralDecoder.LayerInputs in;
        NDArray x;
        try (NoGrad noGrad = NoGrad.enter()) {
            in = d.embed(ps, inputs.get(0), inputs.get(1), true);
            x = in.embedded();
            for (int i = 0; i < d.numLayers(); i++) {
                stored.add(x);
                x = d.layer(i, ps, x, in, true, chunkSeed);
            }
        }
        NDArray grad =
                backprop(
                        m,
                        x,
                        gradOutput,
                        h -> model.head(ps, d.norm(ps, h, true), inputs, true).singletonOrThrow());
        for (int i = stored.size() - 1; i >= 0; i--) {
            int layer = i;
            NDArray g = grad;
            grad = backprop(m, stored.get(i), g, h -> d.layer(layer, ps, h, in, true, chunkSeed));
            g.close();
        }
        grad.close();
    }

    /**
     * Runs {@code f} on {@code x} with a graph and back-propagates {@code sum(f(x) * gradOut)};
     * returns the gradient with respect to {@code x} (attached to {@code m}) and closes {@code x}
     * and everything the piece computed, so at most one piece's graph is alive at a time.
     */
    private static NDArray backprop(
            NDManager m, NDArray x, NDArray gradOut, UnaryOperator<NDArray> f) {
        try (NDManager scope = m.newSubManager()) {
            x.attach(scope);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(f.apply(x).mul(gradOut).sum());
            }
            NDArray g = x.getGradient();
            g.attach(m);
            return g;
        }
    }
}
