package io.embedforge.train.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The SwiGLU feed-forward of a Mistral layer (Shazeer 2020): {@code down(silu(gate(x)) * up(x))}.
 */
final class MistralMlp extends FixedShapeBlock {

    private final LoraLinear gate;
    private final LoraLinear up;
    private final LoraLinear down;

    MistralMlp(String name, MistralConfig c, LoraConfig lora) {
        int h = c.hiddenSize();
        int i = c.intermediateSize();
        gate =
                addChildBlock(
                        "gate_proj",
                        MistralAttention.proj(name + ".gate_proj", h, i, lora, "gate_proj"));
        up =
                addChildBlock(
                        "up_proj", MistralAttention.proj(name + ".up_proj", h, i, lora, "up_proj"));
        down =
                addChildBlock(
                        "down_proj",
                        MistralAttention.proj(name + ".down_proj", i, h, lora, "down_proj"));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.singletonOrThrow());
        NDArray g = gate.forward(ps, x, training).singletonOrThrow();
        NDArray u = up.forward(ps, x, training).singletonOrThrow();
        NDArray act = g.mul(Activation.sigmoid(g)).mul(u);
        return down.forward(ps, new NDList(act), training);
    }
}
