package io.embedforge.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import io.embedforge.train.NoGrad;
import io.embedforge.train.model.NvEmbedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies of one model on several devices, for data parallelism inside one process: replica 0 is the
 * primary (its trainables are the ones the optimizer updates, its gradients the step's sum), the
 * others hold the same frozen base and, at the start of every step, a copy of the primary's
 * trainables. GradCache gives chunk {@code c} of a batch to replica {@code c mod n}.
 *
 * <p>Exact equality with one device needs the gradient sum in the same order: with one device
 * libtorch adds each chunk's gradient into the parameter's gradient in chunk order; here each
 * replica's chunk gradient (computed into a zeroed gradient, so {@code 0 + g}, which is {@code g}
 * but for the sign of a zero) is added onto the primary's gradient in chunk order too ({@link
 * #gather}). Copies between devices are exact.
 */
public final class Replicas {

    private final List<NvEmbedModel> models;
    private final List<NDManager> managers;
    private final List<List<Parameter>> trainables = new ArrayList<>();

    /**
     * @param models the primary first, then one copy per further device, all built alike
     * @param managers the owner of each model (its device is the model's device)
     */
    public Replicas(List<NvEmbedModel> models, List<NDManager> managers) {
        if (models.isEmpty() || models.size() != managers.size()) {
            throw new IllegalArgumentException(
                    models.size() + " models for " + managers.size() + " devices");
        }
        this.models = List.copyOf(models);
        this.managers = List.copyOf(managers);
        for (NvEmbedModel m : models) {
            trainables.add(Trainables.of(m));
        }
    }

    /** How many devices. */
    public int count() {
        return models.size();
    }

    /** The model of replica {@code i}. */
    NvEmbedModel model(int i) {
        return models.get(i);
    }

    /** The owner of replica {@code i}'s arrays (a step's temporaries go in a sub-manager). */
    NDManager manager(int i) {
        return managers.get(i);
    }

    /** Copies the primary's trainable values onto every other replica (exactly). */
    void syncTrainables() {
        List<Parameter> primary = trainables.get(0);
        try (NoGrad noGrad = NoGrad.enter()) {
            for (int r = 1; r < models.size(); r++) {
                List<Parameter> copy = trainables.get(r);
                for (int i = 0; i < primary.size(); i++) {
                    NDArray target = copy.get(i).getArray();
                    NDArray source = primary.get(i).getArray();
                    NDArray moved = source.toDevice(target.getDevice(), true);
                    target.set(new NDIndex("..."), moved);
                    moved.close();
                }
            }
        }
    }

    /**
     * Adds replica {@code r}'s gradients onto the primary's and zeroes them (the next chunk of
     * {@code r} starts from zero, like the first).
     */
    void gather(int r) {
        List<Parameter> primary = trainables.get(0);
        List<Parameter> copy = trainables.get(r);
        try (NoGrad noGrad = NoGrad.enter()) {
            for (int i = 0; i < primary.size(); i++) {
                try (NDArray sum = primary.get(i).getArray().getGradient();
                        NDArray g = copy.get(i).getArray().getGradient();
                        NDArray moved = g.toDevice(sum.getDevice(), true)) {
                    sum.addi(moved);
                    g.set(new NDIndex("..."), 0f);
                }
            }
        }
    }
}
