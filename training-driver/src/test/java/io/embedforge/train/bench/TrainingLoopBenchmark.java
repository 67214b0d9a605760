package io.embedforge.train.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.data.ContractParquet;
import io.embedforge.train.data.StageReader;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.data.TrainingExample;
import io.embedforge.train.loop.Adam;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.loss.ContrastiveBatch;
import io.embedforge.train.loss.GradCache;
import io.embedforge.train.loss.InfoNce;
import io.embedforge.train.loss.TinyModels;
import io.embedforge.train.loss.Trainables;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.tokenize.TokenBatch;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Not a test (no {@code Test} suffix): a main run from the test classpath that measures the full
 * training step on the tiny model (zero grads, forward + InfoNCE + backward, clipping, AdamW) in
 * its plain full-batch form and with GradCache (interleaved step by step), and the Parquet reader's
 * time per example. With a 4th argument it writes the batch there for {@code
 * scripts/reference/bench_train_step.py} (the same step in PyTorch). With a 5th argument, a
 * training config naming a Hugging Face base model (e.g. {@code conf/train-smollm2.yaml}), the
 * model, tokenizer, max length and negatives per row are that config's instead of the tiny model's.
 * A 6th argument {@code gradcache} times only the GradCache step: the plain full-batch step of a
 * real model's 16 x (1 + 1 + 3) batch holds every layer's activations at once (SmolLM2: past 16 GB
 * resident), while the trainer itself always steps through GradCache. The process's peak resident
 * memory ({@code VmHWM}) is printed at the end, since memory is what GradCache buys. Usage: {@code
 * TrainingLoopBenchmark [examples] [chunk] [steps] [dump folder] [train config] [both|gradcache]}.
 */
public final class TrainingLoopBenchmark {

    private TrainingLoopBenchmark() {}

    public static void main(String[] args) throws Exception {
        int examples = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int chunk = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path dump = args.length > 3 && !args[3].isEmpty() ? Path.of(args[3]) : null;
        Path conf = args.length > 4 && !args[4].isEmpty() ? Path.of(args[4]) : null;
        String modes = args.length > 5 ? args[5] : "both";
        if (!modes.equals("both") && !modes.equals("gradcache")) {
            throw new IllegalArgumentException(
                    "6th argument (modes) is " + modes + "; allowed: both, gradcache");
        }
        int firstMode = modes.equals("gradcache") ? 1 : 0;
        TrainConfig config =
                TrainConfig.read(conf != null ? conf : Path.of("..", "conf", "train-tiny.yaml"));
        List<TrainingExample> ex = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            List<String> negs = new ArrayList<>();
            for (int n = 0; n < (conf != null ? config.maxNegatives() : 7); n++) {
                negs.add(
                        "a passage about subject "
                                + (i * 7 + n)
                                + " that is related but does not answer the question at all, sadly");
            }
            ex.add(
                    new TrainingExample(
                            "e" + i,
                            "",
                            "Given a question, retrieve passages that answer it",
                            "what do we know about subject number " + i + " in the collection?",
                            "",
                            "subject "
                                    + i
                                    + " is described in this passage which answers the question in detail",
                            negs,
                            true,
                            0));
        }
        ContrastiveBatch cb = ContrastiveBatch.of(new TrainingBatch(0, ex));
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok =
                        conf != null
                                ? Trainer.tokenizer(config)
                                : NvEmbedTokenizer.e5(MistralConfig.tiny(), 64)) {
            NvEmbedModel model =
                    conf != null ? Trainer.buildModel(m, config) : TinyModels.tiny(m, 0.1, 1);
            List<Parameter> params = Trainables.of(model);
            GradCache gc = new GradCache(model, tok, chunk, InfoNce.DEFAULT_TEMPERATURE);
            if (dump != null) {
                dumpBatch(dump, cb, tok, config, model, conf != null);
            }
            // full training step: zero grads, forward + InfoNCE + backward, clip, AdamW update
            double[] total = new double[2];
            double[] optimizer = new double[2];
            double[] cpu = new double[2];
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean)
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long tokens = 0;
            try (Adam adam = new Adam(m, params, config)) {
                for (int s = 0; s <= steps; s++) {
                    for (int mode = firstMode; mode < 2; mode++) {
                        long c0 = os.getProcessCpuTime();
                        long t0 = System.nanoTime();
                        Trainables.zeroGradients(params);
                        GradCache.StepResult r;
                        try (NDManager sub = m.newSubManager()) {
                            r = mode == 0 ? gc.plainStep(sub, cb, s) : gc.step(sub, cb, s);
                        }
                        long t1 = System.nanoTime();
                        adam.clipGradients(config.clipNorm());
                        adam.step(config.stage1Lr());
                        long t2 = System.nanoTime();
                        if (s > 0) {
                            total[mode] += (t2 - t0) / 1e9;
                            optimizer[mode] += (t2 - t1) / 1e9;
                            cpu[mode] += (os.getProcessCpuTime() - c0) / 1e9;
                            tokens = r.tokens();
                        }
                    }
                }
            }
            double[] plain = {firstMode == 0 ? total[0] : Double.NaN};
            double[] cached = {total[1]};
            System.out.printf(
                    Locale.ROOT,
                    "examples=%d sequences=%d tokens=%d chunk=%d steps=%d plain_s_per_step=%.3f gradcache_s_per_step=%.3f ratio=%.2f%n",
                    examples,
                    cb.sequences().size(),
                    tokens,
                    chunk,
                    steps,
                    plain[0] / steps,
                    cached[0] / steps,
                    cached[0] / plain[0]);
            System.out.printf(
                    Locale.ROOT,
                    "java plain: examples_per_s=%.3f tokens_per_s=%.1f cpu_s_per_step=%.3f"
                            + " (optimizer %.3f s/step); gradcache: examples_per_s=%.3f"
                            + " tokens_per_s=%.1f cpu_s_per_step=%.3f%n",
                    examples * steps / plain[0],
                    tokens * steps / plain[0],
                    cpu[0] / steps,
                    optimizer[0] / steps,
                    examples * steps / cached[0],
                    tokens * steps / cached[0],
                    cpu[1] / steps);
            double stepPerExample;
            Path dir = Files.createTempDirectory("bench-stage");
            ContractParquet.writeStage(dir, 1, 40, 128, 4);
            long t0 = System.nanoTime();
            long rows = 0;
            try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
                while (r.hasNext()) {
                    TrainingBatch b = r.next();
                    ContrastiveBatch.of(b);
                    rows += b.examples().size();
                }
            }
            double readPerExample = (System.nanoTime() - t0) / 1e9 / rows;
            stepPerExample = (firstMode == 0 ? plain[0] : cached[0]) / steps / examples;
            System.out.printf(
                    Locale.ROOT,
                    "reader: %d rows, %.1f us/example (read + layout); %s training step %.1f ms/example; loader share %.2f%%%n",
                    rows,
                    readPerExample * 1e6,
                    firstMode == 0 ? "plain" : "gradcache",
                    stepPerExample * 1e3,
                    100 * readPerExample / (readPerExample + stepPerExample));
        }
        System.out.println("java peak_rss_mb=" + peakRssMb());
    }

    /** The process's resident high-water mark in MB ({@code VmHWM}), or -1 off Linux. */
    private static long peakRssMb() throws java.io.IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    /**
     * Writes the batch for {@code scripts/reference/bench_train_step.py}: the texts (so Python
     * tokenises each step too, as {@link GradCache#plainStep} does), the tokenizer, Java's ids and
     * masks (to check the tokenisation), the candidate mask and positives, and the optimizer
     * settings.
     */
    private static void dumpBatch(
            Path dir,
            ContrastiveBatch cb,
            NvEmbedTokenizer tok,
            TrainConfig config,
            NvEmbedModel model,
            boolean hfBase)
            throws java.io.IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("max_length", tok.maxLength());
        root.put("temperature", InfoNce.DEFAULT_TEMPERATURE);
        root.put("lr", config.stage1Lr());
        root.put("beta1", config.beta1());
        root.put("beta2", config.beta2());
        root.put("epsilon", config.epsilon());
        root.put("weight_decay", config.weightDecay());
        root.put("clip_norm", config.clipNorm());
        root.put("lora_dropout", 0.1);
        root.put("examples", cb.examples());
        if (hfBase) {
            root.put("base_model", config.baseModel());
        }
        root.put("bos_token_id", model.decoder().config().bosTokenId());
        root.put("eos_token_id", model.decoder().config().eosTokenId());
        ArrayNode rows = root.putArray("inputs");
        for (EmbeddingInput in : cb.sequences()) {
            ObjectNode r = rows.addObject();
            r.put("instruction", in.instruction());
            r.put("text", in.text());
        }
        root.putArray("positive")
                .addAll(
                        java.util.Arrays.stream(cb.positive())
                                .mapToObj(json.getNodeFactory()::numberNode)
                                .toList());
        ArrayNode allowed = root.putArray("allowed");
        for (float f : cb.allowed()) {
            allowed.add((int) f);
        }
        Files.writeString(dir.resolve("batch.json"), json.writeValueAsString(root));
        TokenBatch t = tok.encode(cb.sequences());
        long[] shape = {t.batch(), t.length()};
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("input_ids", new HostTensor(shape, floats(t.ids())));
        out.put("attention_mask", new HostTensor(shape, floats(t.attentionMask())));
        out.put("pool_mask", new HostTensor(shape, floats(t.poolingMask())));
        SafetensorsWriter.write(dir.resolve("java_batch.safetensors"), out, Map.of());
        try (java.io.InputStream in =
                hfBase
                        ? Files.newInputStream(Path.of(config.baseModel(), "tokenizer.json"))
                        : NvEmbedTokenizer.class.getResourceAsStream(
                                NvEmbedTokenizer.E5_TOKENIZER_RESOURCE)) {
            Files.copy(
                    in,
                    dir.resolve("tokenizer.json"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static float[] floats(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }
}
