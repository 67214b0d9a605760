package io.embedforge.train.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.embedforge.train.ModelSpec;
import io.embedforge.train.NvEmbedModels;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.DecoderFamily;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsDType;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Shows that loading a sharded bf16 checkpoint streams tensor by tensor: {@code write DIR} makes a
 * mid-size Mistral checkpoint (3 bf16 shards + index), {@code load DIR} loads it into a float32
 * model and prints the growth of the peak resident set ({@code VmHWM}) and of its anonymous and
 * file-backed parts (the latter are clean, reclaimable pages of the memory-mapped shards), the
 * model's size, the largest tensor and the checkpoint size. Run {@code load} with a small {@code
 * -Xmx} (e.g. 256m): the heap never holds a tensor, and direct memory holds one at a time.
 */
public final class LoadMemoryBenchmark {

    /** hidden 1024, 6 layers, GQA 16/4 heads of 64, vocab 32000: about 100M parameters. */
    static final MistralConfig CONFIG =
            new MistralConfig(
                    1024, 2816, 6, 16, 4, 64, 1e-5, 1e4, 32000, 1, 2, DecoderFamily.MISTRAL, false);

    private LoadMemoryBenchmark() {}

    /**
     * Entry point.
     *
     * @param args {@code write DIR} or {@code load DIR}
     * @throws IOException on I/O failure
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[1]);
        if (args[0].equals("write")) {
            write(dir);
        } else {
            load(dir);
        }
    }

    static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), CONFIG.toJson(), StandardCharsets.UTF_8);
        NvEmbedModel shapes =
                new NvEmbedModel(
                        CONFIG, null, AttentionMaskMode.BIDIRECTIONAL, PoolingMode.MEAN, null);
        List<Parameter> params = shapes.getParameters().values();
        int shards = 3;
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        SplittableRandom r = new SplittableRandom(1);
        for (int s = 0; s < shards; s++) {
            String file =
                    String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards);
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (int i = s; i < params.size(); i += shards) {
                Parameter p = params.get(i);
                long[] shape = p.getShape().getShape();
                float[] v = new float[Math.toIntExact(p.getShape().size())];
                for (int k = 0; k < v.length; k++) {
                    v[k] = (float) (r.nextDouble() - 0.5) * 0.04f;
                }
                tensors.put(p.getName(), new HostTensor(shape, v));
                index.append(index.charAt(index.length() - 1) == '{' ? "" : ", ")
                        .append('"')
                        .append(p.getName())
                        .append("\": \"")
                        .append(file)
                        .append('"');
            }
            SafetensorsWriter.write(
                    dir.resolve(file), tensors, Map.of("format", "pt"), SafetensorsDType.BF16);
        }
        index.append("}}");
        Files.writeString(
                dir.resolve(SafetensorsCheckpoint.INDEX_FILE), index, StandardCharsets.UTF_8);
    }

    static void load(Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            m.create(1f).add(1f); // load the engine before the baseline
            long before = status("VmHWM:");
            long anonBefore = status("RssAnon:");
            long fileBefore = status("RssFile:");
            long start = System.nanoTime();
            ModelSpec spec =
                    new ModelSpec(null, AttentionMaskMode.BIDIRECTIONAL, PoolingMode.MEAN, null);
            NvEmbedModel model = NvEmbedModels.fromHuggingFace(m, dir, spec, DataType.FLOAT32, 1);
            long modelBytes = 0;
            long largest = 0;
            for (Parameter p : model.getParameters().values()) {
                long b = p.getArray().getShape().size() * 4;
                modelBytes += b;
                largest = Math.max(largest, b);
            }
            long ckptBytes = 0;
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    ckptBytes += Files.size(f);
                }
            }
            long after = status("VmHWM:");
            long anonGrowth = status("RssAnon:") - anonBefore;
            long fileGrowth = status("RssFile:") - fileBefore;
            Runtime rt = Runtime.getRuntime();
            System.out.printf(
                    Locale.ROOT,
                    "load seconds=%.1f checkpoint_bf16_MB=%.0f model_f32_MB=%.0f largest_tensor_f32_MB=%.0f"
                            + " peak_rss_before_MB=%.0f peak_rss_after_MB=%.0f growth_MB=%.0f"
                            + " anon_rss_growth_MB=%.0f file_rss_growth_MB=%.0f heap_max_MB=%.0f%n",
                    (System.nanoTime() - start) / 1e9,
                    ckptBytes / 1e6,
                    modelBytes / 1e6,
                    largest / 1e6,
                    before / 1e3,
                    after / 1e3,
                    (after - before) / 1e3,
                    anonGrowth / 1e3,
                    fileGrowth / 1e3,
                    rt.maxMemory() / 1e6);
        }
    }

    private static long status(String field) throws IOException {
        for (String line :
                Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
