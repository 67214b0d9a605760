package io.embedforge.train.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.embedforge.train.ModelSpec;
import io.embedforge.train.NvEmbedModels;
import io.embedforge.train.TorchArrays;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import java.io.IOException;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Measures forward+backward throughput (tokens/s) of the tiny NV-Embed model on CPU: one step is
 * the model on a {@code batch x length} batch of random ids (all tokens real, BOS first), the loss
 * {@code -sum(e[2i] . e[2i+1])}, and backward into the LoRA and latent-head parameters. {@code
 * scripts/reference/bench_reference.py} runs the same model and step in PyTorch for comparison. Set
 * {@code OMP_NUM_THREADS} and {@code -Dai.djl.pytorch.num_threads} to the same thread count as the
 * Python run. Usage: {@code TrainStepBenchmark [batch] [length] [steps]}.
 */
public final class TrainStepBenchmark {

    private TrainStepBenchmark() {}

    /**
     * Runs the benchmark and prints one line of results.
     *
     * @param args optional batch, length, steps
     * @throws IOException if the model cannot be built
     */
    public static void main(String[] args) throws IOException {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int length = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        MistralConfig c = MistralConfig.tiny();
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = NvEmbedModels.tiny(m, ModelSpec.nvEmbed(), 42);
            for (Parameter p : model.getParameters().values()) {
                if (p.getName().contains("lora_B")) {
                    p.getArray().setRequiresGradient(true);
                }
            }
            long[] ids = new long[batch * length];
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i % length == 0 ? c.bosTokenId() : 1000 + r.nextInt(c.vocabSize() - 1000);
            }
            long[] mask = new long[ids.length];
            java.util.Arrays.fill(mask, 1);
            long[] pool = mask.clone();
            for (int i = 0; i < batch; i++) {
                pool[i * length] = 0;
            }
            Shape s = new Shape(batch, length);
            int warmup = 2;
            long start = 0;
            long cpuStart = 0;
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean)
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int step = 0; step < warmup + steps; step++) {
                if (step == warmup) {
                    start = System.nanoTime();
                    cpuStart = os.getProcessCpuTime();
                }
                try (NDManager sub = m.newSubManager()) {
                    NDList x =
                            new NDList(
                                    TorchArrays.of(sub, ids, s),
                                    TorchArrays.of(sub, mask, s),
                                    TorchArrays.of(sub, pool, s));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray e =
                                model.forward(new ParameterStore(sub, false), x, true)
                                        .singletonOrThrow();
                        NDArray even = e.get("0::2");
                        NDArray odd = e.get("1::2");
                        gc.backward(even.mul(odd).sum().neg());
                    }
                    for (Parameter p : model.getParameters().values()) {
                        if (p.requiresGradient()) {
                            p.getArray().getGradient().subi(p.getArray().getGradient());
                        }
                    }
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            double cpuSecs = (os.getProcessCpuTime() - cpuStart) / 1e9;
            double tokens = (double) batch * length * steps;
            System.out.printf(
                    Locale.ROOT,
                    "djl batch=%d length=%d steps=%d threads=%s seconds=%.2f tokens_per_s=%.1f"
                            + " cpu_seconds=%.2f tokens_per_cpu_s=%.1f%n",
                    batch,
                    length,
                    steps,
                    System.getProperty("ai.djl.pytorch.num_threads", "default"),
                    secs,
                    tokens / secs,
                    cpuSecs,
                    tokens / cpuSecs);
        }
    }
}
