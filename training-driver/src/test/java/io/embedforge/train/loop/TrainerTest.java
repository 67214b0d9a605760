package io.embedforge.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.train.data.ContractParquet;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    @TempDir Path dir;

    static TrainConfig tinyConfig() throws IOException {
        return tinyConfig("none");
    }

    /** The tiny test config with {@code activation_checkpointing} set to {@code checkpointing}. */
    static TrainConfig tinyConfig(String checkpointing) throws IOException {
        Path conf = Path.of("..", "conf", "train-tiny.yaml");
        TrainConfig c = TrainConfig.read(conf);
        return new TrainConfig(
                c.baseModel(),
                c.modelSeed(),
                32,
                c.loraDropout(),
                c.temperature(),
                8,
                checkpointing,
                c.optimizer(),
                0.01,
                c.beta1(),
                c.beta2(),
                c.epsilon(),
                c.clipNorm(),
                3,
                2,
                c.maxNegatives(),
                c.stage1Lr(),
                c.stage2Lr(),
                0,
                0,
                2,
                3,
                c.seed(),
                1,
                c.precision());
    }

    private Path blend() throws IOException {
        Path blend = dir.resolve("blend");
        ContractParquet.writeStage(blend.resolve("stage1"), 1, 6, 2, 2);
        ContractParquet.writeStage(blend.resolve("stage2"), 2, 4, 2, 1);
        return blend;
    }

    private static Map<Long, Double> losses(Path metrics) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<Long, Double> out = new TreeMap<>();
        for (String line : Files.readAllLines(metrics)) {
            JsonNode n = json.readTree(line);
            out.put(n.get("global_step").asLong(), n.get("loss").asDouble());
        }
        return out;
    }

    @Test
    void resumeAfterInterruptionAndCorruptCheckpointEqualsStraightRun() throws IOException {
        Path blend = blend();
        TrainConfig c = tinyConfig();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        Path straight = dir.resolve("straight");
        try (NDManager m = NDManager.newBaseManager()) {
            Trainer.Result r = new Trainer(c, blend, straight, out).run(m, false, 0);
            assertTrue(r.finished());
            assertEquals(10, r.state().globalStep());
        }
        // stage 2 has one row without negatives (ContractParquet row 0: i % 8 = 0 negatives);
        // in stage 1 in-batch negatives give every row candidates
        Map<Integer, Integer> without = new TreeMap<>();
        for (String line : Files.readAllLines(straight.resolve("metrics.jsonl"))) {
            JsonNode n = new ObjectMapper().readTree(line);
            without.merge(
                    n.get("stage").asInt(), n.get("rows_without_negatives").asInt(), Integer::sum);
        }
        assertEquals(Map.of(1, 0, 2, 1), without);
        Path split = dir.resolve("split");
        try (NDManager m = NDManager.newBaseManager()) {
            Trainer.Result r = new Trainer(c, blend, split, out).run(m, false, 5);
            assertFalse(r.finished());
            assertEquals(5, r.state().globalStep());
        }
        // the newest checkpoint (step 4) gets damaged: resume must fall back to step 2
        Path ckpts = split.resolve("checkpoints");
        List<Path> listed = new Checkpoints(ckpts, out).list();
        assertEquals(2, listed.size(), listed.toString());
        Path newest = listed.get(1);
        assertTrue(newest.getFileName().toString().startsWith("ckpt-000000004"), newest.toString());
        Path weights = newest.resolve(Checkpoints.WEIGHTS);
        byte[] b = Files.readAllBytes(weights);
        b[b.length - 3] ^= 0x55;
        Files.write(weights, b);
        try (NDManager m = NDManager.newBaseManager()) {
            Trainer.Result r = new Trainer(c, blend, split, out).run(m, true, 0);
            assertTrue(r.finished());
            assertEquals(10, r.state().globalStep());
        }
        String text = log.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        assertTrue(text.contains("ckpt-000000004-s1 is corrupt or partial"), text);
        assertTrue(text.contains("resuming from") && text.contains("ckpt-000000002-s1"), text);
        assertTrue(text.contains("examples/s") && text.contains("ETA"), text);

        Map<Long, Double> a = losses(straight.resolve("metrics.jsonl"));
        Map<Long, Double> s = losses(split.resolve("metrics.jsonl"));
        assertEquals(a.keySet(), s.keySet());
        for (long k : a.keySet()) {
            assertEquals(a.get(k), s.get(k), 1e-6, "loss at step " + k);
        }
        assertTrue(Double.isFinite(a.get(10L)));
        for (String f : List.of("adapter_model.safetensors", "latent_attention.safetensors")) {
            try (SafetensorsCheckpoint x =
                            SafetensorsCheckpoint.open(
                                    straight.resolve("stage2-model").resolve(f));
                    SafetensorsCheckpoint y =
                            SafetensorsCheckpoint.open(split.resolve("stage2-model").resolve(f))) {
                assertEquals(x.names(), y.names());
                for (String n : x.names()) {
                    assertArrayEquals(x.readFloats(n), y.readFloats(n), 1e-6f, n);
                }
            }
        }
        assertTrue(Files.isDirectory(straight.resolve("stage1-model")));
        assertTrue(Files.size(straight.resolve("loss-stage1.png")) > 0);
        assertTrue(Files.size(split.resolve("lr-stage2.png")) > 0);
    }

    /**
     * Chunks spread over 2 and 3 model copies ({@code --device cpu:0,1}, {@code cpu:0,1,2}) train
     * bitwise like one device: every loss and gradient norm, and every trained weight of both
     * stages. The test config makes up to 3 chunks per batch (2 x up to 9 sequences, chunks of 8),
     * so with 2 devices a batch has a second wave, with 3 one chunk per device; LoRA dropout is on
     * (0.1), so the masks must follow the chunk, not the device.
     */
    @Test
    void severalDevicesTrainBitwiseLikeOne() throws IOException {
        Path blend = blend();
        TrainConfig c = tinyConfig();
        assertTrue(c.loraDropout() > 0);
        for (int devices = 1; devices <= 3; devices++) {
            List<NDManager> managers = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < devices; i++) {
                    managers.add(NDManager.newBaseManager());
                }
                Trainer.Result r =
                        new Trainer(c, blend, dir.resolve("d" + devices), System.out)
                                .run(managers, false, 0);
                assertTrue(r.finished());
            } finally {
                managers.forEach(NDManager::close);
            }
        }
        Path one = dir.resolve("d1");
        for (String other : List.of("d2", "d3")) {
            assertEquals(
                    metrics(one, "loss", "grad_norm"),
                    metrics(dir.resolve(other), "loss", "grad_norm"),
                    other);
            for (String stage : List.of("stage1-model", "stage2-model")) {
                for (String f :
                        List.of("adapter_model.safetensors", "latent_attention.safetensors")) {
                    assertBitwiseEqual(
                            one.resolve(stage).resolve(f),
                            dir.resolve(other).resolve(stage).resolve(f));
                }
            }
        }
        Map<Long, String> seqs = metrics(one, "sequences");
        assertTrue(
                seqs.values().stream().anyMatch(v -> Integer.parseInt(v) > 2 * 8), seqs.toString());
    }

    /**
     * {@code activation_checkpointing: layer} trains exactly like {@code none}: the same loss and
     * gradient norm at every step (LoRA dropout on), on one device and on two model copies with
     * dynamic loss scaling (a power-of-two scale is exact in float32 without overflow).
     */
    @Test
    void layerRecomputationTrainsLikeTheFullGraph() throws IOException {
        Path blend = blend();
        assertTrue(tinyConfig().loraDropout() > 0);
        PrecisionConfig dynamic = new PrecisionConfig("float32", "dynamic", 65536, 2000);
        Map<String, TrainConfig> runs =
                Map.of(
                        "none", tinyConfig("none"),
                        "layer", tinyConfig("layer"),
                        "layer-2-scaled", tinyConfig("layer").withPrecision(dynamic));
        for (Map.Entry<String, TrainConfig> run : runs.entrySet()) {
            int devices = run.getKey().contains("-2-") ? 2 : 1;
            List<NDManager> managers = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < devices; i++) {
                    managers.add(NDManager.newBaseManager());
                }
                new Trainer(run.getValue(), blend, dir.resolve(run.getKey()), System.out)
                        .run(managers, false, 4);
            } finally {
                managers.forEach(NDManager::close);
            }
        }
        Map<Long, String> none = metrics(dir.resolve("none"), "loss", "grad_norm");
        assertEquals(4, none.size());
        assertEquals(none, metrics(dir.resolve("layer"), "loss", "grad_norm"));
        assertEquals(none, metrics(dir.resolve("layer-2-scaled"), "loss", "grad_norm"));
        assertEquals(
                "65536.0 65536.0 65536.0 65536.0",
                String.join(" ", metrics(dir.resolve("layer-2-scaled"), "loss_scale").values()));
    }

    /** Per global step, the named metrics' values as written. */
    private static Map<Long, String> metrics(Path run, String... keys) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<Long, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            StringBuilder b = new StringBuilder();
            for (String k : keys) {
                b.append(k.equals(keys[0]) ? "" : " ").append(n.get(k).asText());
            }
            out.put(n.get("global_step").asLong(), b.toString());
        }
        return out;
    }

    private static void assertBitwiseEqual(Path a, Path b) throws IOException {
        try (SafetensorsCheckpoint x = SafetensorsCheckpoint.open(a);
                SafetensorsCheckpoint y = SafetensorsCheckpoint.open(b)) {
            assertEquals(x.names(), y.names());
            for (String n : x.names()) {
                float[] u = x.readFloats(n);
                float[] v = y.readFloats(n);
                assertEquals(u.length, v.length, n);
                for (int i = 0; i < u.length; i++) {
                    if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
                        throw new AssertionError(
                                b + " " + n + "[" + i + "] = " + v[i] + ", one device: " + u[i]);
                    }
                }
            }
        }
    }

    /**
     * libtorch's grad mode is per thread and stays on in a thread that did not load the engine
     * (e.g. the driver after a Spark stage loaded PyTorch on an executor thread): training must not
     * depend on it. Before {@code NoGrad}, the optimizer's in-place update failed there.
     */
    @Test
    void trainingIsTheSameWhateverTheCallingThreadsGradMode() throws IOException {
        Path blend = blend();
        TrainConfig c = tinyConfig();
        Map<Long, Double> off;
        Map<Long, Double> on;
        try (NDManager m = NDManager.newBaseManager()) {
            JniUtils.setGradMode(false);
            new Trainer(c, blend, dir.resolve("off"), System.out).run(m, false, 3);
            off = losses(dir.resolve("off").resolve("metrics.jsonl"));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            JniUtils.setGradMode(true);
            new Trainer(c, blend, dir.resolve("on"), System.out).run(m, false, 3);
            on = losses(dir.resolve("on").resolve("metrics.jsonl"));
        } finally {
            JniUtils.setGradMode(false);
        }
        assertEquals(3, off.size());
        assertEquals(off, on);
    }

    @Test
    void nonFiniteLossStopsWithAClearMessage() throws IOException {
        Path blend = blend();
        TrainConfig c = tinyConfig();
        TrainConfig overflow =
                new TrainConfig(
                        c.baseModel(),
                        c.modelSeed(),
                        c.maxLength(),
                        c.loraDropout(),
                        Double.MIN_VALUE,
                        c.chunkSize(),
                        c.activationCheckpointing(),
                        c.optimizer(),
                        c.weightDecay(),
                        c.beta1(),
                        c.beta2(),
                        c.epsilon(),
                        c.clipNorm(),
                        c.warmupSteps(),
                        c.batchSize(),
                        c.maxNegatives(),
                        c.stage1Lr(),
                        c.stage2Lr(),
                        1,
                        1,
                        c.checkpointEvery(),
                        c.keepCheckpoints(),
                        c.seed(),
                        c.logEvery(),
                        c.precision());
        try (NDManager m = NDManager.newBaseManager()) {
            TrainingDivergedException e =
                    assertThrows(
                            TrainingDivergedException.class,
                            () ->
                                    new Trainer(overflow, blend, dir.resolve("nan"), System.out)
                                            .run(m, false, 0));
            assertTrue(
                    e.getMessage().contains("training diverged at stage 1 step 1 (batch_index 0)"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("last good checkpoint: none"), e.getMessage());
        }
        assertTrue(
                new Checkpoints(dir.resolve("nan").resolve("checkpoints"), System.out)
                        .list()
                        .isEmpty());
    }

    @Test
    void configErrorsNameTheKey() throws IOException {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(
                f,
                Files.readString(Path.of("..", "conf", "train-tiny.yaml"))
                        .replace("optimizer: adamw", "optimizer: sgd"));
        IOException e = assertThrows(IOException.class, () -> TrainConfig.read(f));
        assertTrue(e.getMessage().contains("optimizer=sgd"), e.getMessage());
        Files.writeString(
                f,
                Files.readString(Path.of("..", "conf", "train-tiny.yaml"))
                        .replace("max_negatives: 7", "max_negatives: 8"));
        e = assertThrows(IOException.class, () -> TrainConfig.read(f));
        assertTrue(e.getMessage().contains("max_negatives=8"), e.getMessage());
        Files.writeString(
                f,
                Files.readString(Path.of("..", "conf", "train-tiny.yaml")) + "learning_rate: 1\n");
        IOException u = assertThrows(IOException.class, () -> TrainConfig.read(f));
        assertTrue(u.getMessage().contains("learning_rate"), u.getMessage());
        Files.writeString(
                f,
                Files.readString(Path.of("..", "conf", "train-tiny.yaml"))
                        .replace("batch_size: 16", "batch_size: 16.5"));
        IOException fraction = assertThrows(IOException.class, () -> TrainConfig.read(f));
        assertTrue(fraction.getMessage().contains("batch_size"), fraction.getMessage());
        String tiny = Files.readString(Path.of("..", "conf", "train-tiny.yaml"));
        Files.writeString(
                f,
                tiny.replace("activation_checkpointing: none", "activation_checkpointing: full"));
        e = assertThrows(IOException.class, () -> TrainConfig.read(f));
        assertTrue(
                e.getMessage()
                        .contains("activation_checkpointing=full must be one of [none, layer]"),
                e.getMessage());
        Files.writeString(f, tiny.replaceAll("(?m)^activation_checkpointing: .*\n", ""));
        e = assertThrows(IOException.class, () -> TrainConfig.read(f));
        assertTrue(e.getMessage().contains("activation_checkpointing"), e.getMessage());
        assertFalse(TrainConfig.read(Path.of("..", "conf", "train-tiny.yaml")).recomputesLayers());
        TrainConfig paper = TrainConfig.read(Path.of("..", "conf", "train-7b.yaml"));
        assertTrue(paper.recomputesLayers());
        assertEquals(2e-5, paper.stage1Lr());
        assertEquals(1.5e-5, paper.stage2Lr());
        assertEquals(500, paper.warmupSteps());
        assertEquals(128, paper.batchSize());
    }

    @Test
    void scheduleWarmsUpThenDecaysLinearly() {
        assertEquals(0.25, LrSchedule.at(1, 4, 10, 0), 1e-12);
        assertEquals(1.0, LrSchedule.at(1, 4, 10, 3), 1e-12);
        assertEquals(1.0, LrSchedule.at(1, 4, 10, 4), 1e-12);
        assertEquals(0.5, LrSchedule.at(1, 4, 10, 7), 1e-12);
        assertEquals(1.0 / 6, LrSchedule.at(1, 4, 10, 9), 1e-12);
    }
}
