package io.embedforge.train.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.weights.HostTensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The base weights of a trained model, as exported: frozen as they are, or with each LoRA-adapted
 * weight merged, {@code W + (alpha/r) B A} (float32), so the merged folder loads without PEFT.
 */
public final class LoraMerge {
    private LoraMerge() {}

    /** Frozen (base) parameters by Hugging Face name. */
    static Map<String, HostTensor> frozen(NvEmbedModel model) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (Parameter p : model.getParameters().values()) {
            if (!p.requiresGradient()) {
                t.put(p.getName(), HostTensor.of(p.getArray()));
            }
        }
        return t;
    }

    /** Frozen parameters with each adapted weight replaced by {@code W + (alpha/r) B A}. */
    public static Map<String, HostTensor> mergedWeights(NDManager m, NvEmbedModel model) {
        Map<String, Parameter> all = new LinkedHashMap<>();
        for (Parameter p : model.getParameters().values()) {
            all.put(p.getName(), p);
        }
        double scaling = model.lora() == null ? 0 : model.lora().scaling();
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (Parameter p : all.values()) {
            if (p.requiresGradient()) {
                continue;
            }
            String n = p.getName();
            String stem = n.endsWith(".weight") ? n.substring(0, n.length() - 7) : null;
            Parameter a = stem == null ? null : all.get(stem + ".lora_A.weight");
            Parameter b = stem == null ? null : all.get(stem + ".lora_B.weight");
            if (a == null || b == null) {
                t.put(n, HostTensor.of(p.getArray()));
                continue;
            }
            try (NDManager sub = m.newSubManager()) {
                NDArray delta = b.getArray().matMul(a.getArray()).mul(scaling);
                delta.attach(sub);
                NDArray sum = p.getArray().toType(DataType.FLOAT32, false).add(delta);
                sum.attach(sub);
                t.put(n, HostTensor.of(sum));
            }
        }
        return t;
    }
}
