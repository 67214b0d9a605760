package io.embedforge.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.embedforge.train.NoGrad;
import io.embedforge.train.TorchArrays;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsFile;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba) or AdamW (decoupled weight decay) over the trainable parameters, float32
 * state. Written here rather than using DJL's optimizer so its state can be saved and restored
 * exactly for resume.
 */
public final class Adam implements AutoCloseable {

    private final NDManager manager;
    private final List<Parameter> params;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long t;

    /**
     * @param parent manager the state is created under
     * @param params trainable parameters
     * @param config betas, epsilon, optimizer kind and weight decay
     */
    public Adam(NDManager parent, List<Parameter> params, TrainConfig config) {
        this.manager = parent.newSubManager();
        this.params = params;
        this.beta1 = config.beta1();
        this.beta2 = config.beta2();
        this.epsilon = config.epsilon();
        this.weightDecay = "adamw".equals(config.optimizer()) ? config.weightDecay() : 0;
        reset();
    }

    /** Zero moments and step (start of a stage). */
    public void reset() {
        m.values().forEach(NDArray::close);
        v.values().forEach(NDArray::close);
        m.clear();
        v.clear();
        for (Parameter p : params) {
            m.put(p.getName(), manager.zeros(p.getArray().getShape(), DataType.FLOAT32));
            v.put(p.getName(), manager.zeros(p.getArray().getShape(), DataType.FLOAT32));
        }
        t = 0;
    }

    /** Updates done since the last reset. */
    public long steps() {
        return t;
    }

    /**
     * Global L2 norm of the gradients; if above {@code max > 0}, scales them down to it.
     *
     * @return the norm before clipping
     */
    public double clipGradients(double max) {
        double sq = 0;
        try (NoGrad noGrad = NoGrad.enter();
                NDManager tmp = manager.newSubManager()) {
            for (Parameter p : params) {
                NDArray g = p.getArray().getGradient();
                g.attach(tmp);
                NDArray s = g.square().sum();
                s.attach(tmp);
                sq += s.getFloat();
            }
        }
        double norm = Math.sqrt(sq);
        if (max > 0 && norm > max && Double.isFinite(norm)) {
            float scale = (float) (max / norm);
            try (NoGrad noGrad = NoGrad.enter();
                    NDManager tmp = manager.newSubManager()) {
                for (Parameter p : params) {
                    NDArray g = p.getArray().getGradient();
                    g.attach(tmp);
                    g.muli(scale);
                }
            }
        }
        return norm;
    }

    /** Names of the parameters whose gradient holds a NaN or an infinity (for error messages). */
    public List<String> nonFiniteGradients() {
        List<String> names = new ArrayList<>();
        try (NoGrad noGrad = NoGrad.enter();
                NDManager tmp = manager.newSubManager()) {
            for (Parameter p : params) {
                NDArray g = p.getArray().getGradient();
                g.attach(tmp);
                if (!g.isInfinite().logicalOr(g.isNaN()).none().getBoolean()) {
                    names.add(p.getName());
                }
            }
        }
        return names;
    }

    /** One update with learning rate {@code lr}. */
    public void step(double lr) {
        t++;
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        try (NoGrad noGrad = NoGrad.enter();
                NDManager tmp = manager.newSubManager()) {
            for (Parameter p : params) {
                NDArray w = p.getArray();
                NDArray g = w.getGradient();
                g.attach(tmp);
                NDArray mm = m.get(p.getName());
                NDArray vv = v.get(p.getName());
                NDArray g1 = g.mul(1 - beta1);
                g1.attach(tmp);
                mm.muli(beta1).addi(g1);
                NDArray g2 = g.square();
                g2.attach(tmp);
                vv.muli(beta2).addi(g2.muli(1 - beta2));
                NDArray vhat = vv.div(c2);
                vhat.attach(tmp);
                NDArray denom = vhat.sqrt();
                denom.attach(tmp);
                denom.addi(epsilon);
                NDArray update = mm.div(c1);
                update.attach(tmp);
                update.divi(denom);
                if (weightDecay > 0) {
                    NDArray decay = w.mul(weightDecay);
                    decay.attach(tmp);
                    update.addi(decay);
                }
                w.subi(update.muli(lr));
            }
        }
    }

    /** Writes moments and step to a safetensors file. */
    public void save(Path file) throws IOException {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Parameter p : params) {
            out.put("m." + p.getName(), HostTensor.of(m.get(p.getName())));
            out.put("v." + p.getName(), HostTensor.of(v.get(p.getName())));
        }
        SafetensorsWriter.write(file, out, Map.of("step", Long.toString(t)));
    }

    /**
     * Restores what {@link #save} wrote, the update count included (it can be below the stage's
     * step count: a step skipped by loss scaling updates nothing).
     */
    public void load(Path file) throws IOException {
        long step;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String recorded = f.metadata().get("step");
            if (recorded == null) {
                throw new IOException("optimizer state " + file + " has no step in its metadata");
            }
            step = Long.parseLong(recorded);
        }
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(file)) {
            for (Parameter p : params) {
                long[] shape = p.getArray().getShape().getShape();
                TorchArrays.copyInto(
                        m.get(p.getName()), c.readFloats(checkedKey(c, "m." + p.getName(), file)));
                TorchArrays.copyInto(
                        v.get(p.getName()), c.readFloats(checkedKey(c, "v." + p.getName(), file)));
                if (m.get(p.getName()).getShape().getShape().length != shape.length) {
                    throw new IOException(
                            "optimizer state " + file + " shape mismatch for " + p.getName());
                }
            }
        }
        t = step;
    }

    private static String checkedKey(SafetensorsCheckpoint c, String key, Path file)
            throws IOException {
        if (!c.contains(key)) {
            throw new IOException("optimizer state " + file + " is missing tensor " + key);
        }
        return key;
    }

    @Override
    public void close() {
        manager.close();
    }
}
