package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.FileTrees;
import io.embedforge.train.export.ExportedModel;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.loss.Trainables;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.tokenize.TokenBatch;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code export} on a short tiny-model run (2 stage-1 + 1 stage-2 updates): the folder's files,
 * PEFT key names and shapes, and that the exported adapter + head (and the merged weights) reloaded
 * in Java embed exactly like the checkpoint's model. Also writes {@code target/export-check/} (the
 * export, {@code inputs.json}, {@code java_embeddings.safetensors}) for {@code
 * scripts/reference/check_export.py}. Bad input: missing run, no good checkpoint, a checkpoint that
 * does not fit the configured base model.
 */
class ExportCommandTest {

    static final Path CHECK = Path.of("target", "export-check");

    static final String INSTRUCTION =
            "Given a question, retrieve passages that answer the question";

    @TempDir static Path dir;

    static Path conf;
    static Path run;

    @BeforeAll
    static void train() throws IOException {
        conf = TinyRun.train(dir);
        run = dir.resolve("run");
    }

    private static int export(String... args) throws Exception {
        return CommandLine.populateCommand(new ExportCommand(), args).call();
    }

    @Test
    void exportReloadsToTheSameEmbeddingsAndHasPeftLayout() throws Exception {
        Path out = CHECK.resolve("export");
        FileTrees.delete(CHECK);
        assertEquals(
                0,
                export(
                        "--config",
                        conf.toString(),
                        "--run",
                        run.toString(),
                        "--out",
                        out.toString(),
                        "--merged"));
        for (String f :
                List.of(
                        "adapter_config.json",
                        "adapter_model.safetensors",
                        "latent_attention.safetensors",
                        "README.md",
                        "embedforge.json",
                        "base/config.json",
                        "base/model.safetensors",
                        "base/tokenizer.json",
                        "merged/config.json",
                        "merged/model.safetensors",
                        "merged/tokenizer.json",
                        "merged/latent_attention.safetensors",
                        "modules.json",
                        "config_sentence_transformers.json",
                        "modeling_embedforge.py",
                        "1_Normalize/config.json",
                        "tokenizer.json",
                        "tokenizer_config.json",
                        "special_tokens_map.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        // readable by every user of a shared model folder (safetensors were written 0600)
        try (Stream<Path> files = Files.walk(out)) {
            for (Path p : files.toList()) {
                assertEquals(
                        Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--",
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
                        p.toString());
            }
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode cfg = json.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals(16, cfg.get("r").asInt());
        assertEquals(32, cfg.get("lora_alpha").asInt());
        // absolute: PEFT resolves a relative base against the current directory
        assertEquals(
                out.resolve("base").toAbsolutePath().normalize().toString(),
                cfg.get("base_model_name_or_path").asText());
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.startsWith("---\nlibrary_name: sentence-transformers\n"), card);
        assertTrue(card.contains("\npipeline_tag: sentence-similarity\n"), card);
        assertTrue(card.contains("\n- sentence-transformers\n"), card);
        JsonNode modules = json.readTree(out.resolve("modules.json").toFile());
        assertEquals("modeling_embedforge.EmbedForgeNvEmbed", modules.get(0).get("type").asText());
        assertEquals(
                "sentence_transformers.base.modules.Normalize",
                modules.get(1).get("type").asText());
        JsonNode prompts =
                json.readTree(out.resolve("config_sentence_transformers.json").toFile())
                        .get("prompts");
        assertEquals(
                "Instruct: " + INSTRUCTION + "\nQuery: ",
                prompts.get("given_a_question_retrieve_passages_that_answer_the_question")
                        .asText());
        JsonNode tokCfg = json.readTree(out.resolve("tokenizer_config.json").toFile());
        assertEquals("[CLS]", tokCfg.get("bos_token").asText());
        assertEquals("[SEP]", tokCfg.get("eos_token").asText());
        assertEquals("[PAD]", tokCfg.get("pad_token").asText());
        assertEquals("right", tokCfg.get("padding_side").asText());
        assertTrue(card.contains("Instruct: {instruction}\\nQuery: {query}"), card);
        assertTrue(card.contains("| " + INSTRUCTION + " | 4 |"), card);
        assertTrue(card.contains("L2-normalised"), card);
        JsonNode meta = json.readTree(out.resolve("embedforge.json").toFile());
        assertEquals(INSTRUCTION, meta.get("instructions").get("stage2").get(0).asText());
        assertEquals(3, meta.get("checkpoint").get("global_step").asInt());
        // one template form everywhere (was "Instruct: %s\nQuery: {query}" in embedforge.json)
        assertEquals(
                "Instruct: {instruction}\nQuery: {query}", meta.get("query_template").asText());

        Checkpoints.Loaded ckpt =
                new Checkpoints(run.resolve("checkpoints"), System.err).latestGood().orElseThrow();
        assertTrue(ckpt.state().stage() == 2 && ckpt.state().stageComplete());
        TrainConfig c = TrainConfig.read(conf);
        List<EmbeddingInput> inputs = inputs();
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = Trainer.tokenizer(c)) {
            NvEmbedModel trained = Trainer.buildModel(m, c);
            Trainer.loadTrainable(m, trained, ckpt.folder().resolve(Checkpoints.WEIGHTS));

            // PEFT key names and shapes, values equal to the checkpoint's
            Map<String, Parameter> byName = new LinkedHashMap<>();
            for (Parameter p : Trainables.of(trained)) {
                byName.put(p.getName(), p);
            }
            double sumB = 0;
            try (SafetensorsCheckpoint adapter =
                            SafetensorsCheckpoint.open(out.resolve("adapter_model.safetensors"));
                    SafetensorsCheckpoint head =
                            SafetensorsCheckpoint.open(
                                    out.resolve("latent_attention.safetensors"))) {
                assertEquals(2 * 7 * 2, adapter.names().size());
                for (String n : adapter.names()) {
                    assertTrue(
                            n.matches(
                                    "base_model\\.model\\.model\\.layers\\.[01]\\."
                                            + "(self_attn\\.[qkvo]_proj|mlp\\.(gate|up|down)_proj)"
                                            + "\\.lora_[AB]\\.weight"),
                            n);
                    Parameter p = byName.get(n.substring(ModelWeights.PEFT_PREFIX.length()));
                    assertArrayEquals(p.getArray().getShape().getShape(), adapter.info(n).shape());
                    float[] v = adapter.readFloats(n);
                    assertArrayEquals(p.getArray().toFloatArray(), v, 0f, n);
                    if (n.contains("lora_B")) {
                        for (float f : v) {
                            sumB += Math.abs(f);
                        }
                    }
                }
                assertArrayEquals(
                        new long[] {16, 256},
                        adapter.info(
                                        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
                                .shape());
                assertArrayEquals(
                        new long[] {128, 16},
                        adapter.info(
                                        "base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight")
                                .shape());
                assertArrayEquals(
                        new long[] {512, 256}, head.info("latent_attention_model.latents").shape());
                for (String n : head.names()) {
                    assertTrue(
                            n.startsWith("latent_attention_model.cross_attend_blocks.")
                                    || n.equals("latent_attention_model.latents"),
                            n);
                    assertArrayEquals(
                            byName.get(n).getArray().getShape().getShape(), head.info(n).shape());
                }
                assertEquals(byName.size(), adapter.names().size() + head.names().size());
            }
            assertTrue(sumB > 0, "training made LoRA B non-zero");

            // reload the export in Java: adapter + head on the exported base; merged weights
            NvEmbedModel reloaded = ExportedModel.load(m, out, false);
            NvEmbedModel merged = ExportedModel.load(m, out, true);
            TokenBatch tb = tok.encode(inputs);
            float[] want = embed(m, trained, tb);
            float[] got = embed(m, reloaded, tb);
            float[] gotMerged = embed(m, merged, tb);
            double d = maxDiff(want, got);
            double dm = maxDiff(want, gotMerged);
            System.out.printf("export reload max|diff| adapter=%.2e merged=%.2e%n", d, dm);
            assertTrue(d <= 1e-5, "adapter reload max|diff| " + d);
            assertTrue(dm <= 1e-5, "merged reload max|diff| " + dm);

            // what check_export.py compares against
            ArrayNode rows = json.createArrayNode();
            for (EmbeddingInput in : inputs) {
                ObjectNode r = rows.addObject();
                r.put("instruction", in.instruction());
                r.put("text", in.text());
                r.put("formatted", in.formatted());
            }
            ObjectNode doc = json.createObjectNode();
            doc.put("max_length", c.maxLength());
            doc.set("inputs", rows);
            Files.writeString(
                    CHECK.resolve("inputs.json"),
                    json.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
            long[] shape = {tb.batch(), tb.length()};
            Map<String, HostTensor> t = new LinkedHashMap<>();
            t.put("input_ids", new HostTensor(shape, toFloat(tb.ids())));
            t.put("attention_mask", new HostTensor(shape, toFloat(tb.attentionMask())));
            t.put("pool_mask", new HostTensor(shape, toFloat(tb.poolingMask())));
            t.put(
                    "embeddings",
                    new HostTensor(new long[] {tb.batch(), want.length / tb.batch()}, want));
            SafetensorsWriter.write(CHECK.resolve("java_embeddings.safetensors"), t, Map.of());
        }
    }

    static List<EmbeddingInput> inputs() {
        List<EmbeddingInput> in = new ArrayList<>();
        in.add(EmbeddingInput.query(INSTRUCTION, "what is topic 3?"));
        in.add(EmbeddingInput.query(INSTRUCTION, "what is topic 12 and why does it matter?"));
        in.add(
                EmbeddingInput.query(
                        "Retrieve semantically similar text",
                        "A man is playing a guitar on stage."));
        in.add(EmbeddingInput.document("topic 3 is about item 3"));
        in.add(EmbeddingInput.document("passage about topic 21 and colour 0"));
        in.add(
                EmbeddingInput.document(
                        "A very long document that the tokenizer has to truncate because the"
                                + " configured maximum length of thirty-two tokens is far shorter"
                                + " than this sentence, which keeps going and going."));
        return in;
    }

    private static float[] embed(NDManager m, NvEmbedModel model, TokenBatch tb) {
        try (NDManager sub = m.newSubManager()) {
            return model.forward(new ParameterStore(sub, false), tb.toNDList(sub), false)
                    .singletonOrThrow()
                    .toFloatArray();
        }
    }

    private static float[] toFloat(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void missingRunFolderIsAClearError() {
        Path missing = dir.resolve("no-such-run");
        IOException e =
                assertThrows(
                        IOException.class,
                        () ->
                                export(
                                        "--config",
                                        conf.toString(),
                                        "--run",
                                        missing.toString(),
                                        "--out",
                                        dir.resolve("x").toString()));
        assertTrue(
                e.getMessage().contains("run folder " + missing + " does not exist"),
                e.getMessage());
    }

    @Test
    void runWithoutAGoodCheckpointIsAClearError() throws Exception {
        Path bad = dir.resolve("bad-run");
        Path ck = bad.resolve("checkpoints");
        Files.createDirectories(ck);
        IOException empty =
                assertThrows(
                        IOException.class,
                        () ->
                                export(
                                        "--config",
                                        conf.toString(),
                                        "--run",
                                        bad.toString(),
                                        "--out",
                                        dir.resolve("y").toString()));
        assertTrue(empty.getMessage().contains("no good checkpoint in " + ck), empty.getMessage());
        // a copy of a real checkpoint with damaged weights: verified, rejected, still no good one
        Path src = new Checkpoints(run.resolve("checkpoints"), System.err).list().get(0);
        Path copy = ck.resolve(src.getFileName());
        copyTree(src, copy);
        Path w = copy.resolve(Checkpoints.WEIGHTS);
        byte[] b = Files.readAllBytes(w);
        b[b.length - 5] ^= 0x11;
        Files.write(w, b);
        PrintStream err = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            IOException corrupt =
                    assertThrows(
                            IOException.class,
                            () ->
                                    export(
                                            "--config",
                                            conf.toString(),
                                            "--run",
                                            bad.toString(),
                                            "--out",
                                            dir.resolve("y").toString()));
            assertTrue(corrupt.getMessage().contains("no good checkpoint"), corrupt.getMessage());
        } finally {
            System.setErr(err);
        }
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("is corrupt or partial"));
        assertFalse(Files.exists(dir.resolve("y").resolve("adapter_model.safetensors")));
    }

    @Test
    void checkpointOfAnotherBaseModelNamesTheTensor() throws Exception {
        // the reference fixture base (hidden 64) instead of the tiny one (hidden 256) the run used
        Path fixtures =
                Path.of(ExportCommandTest.class.getResource("/fixtures/config.json").toURI())
                        .getParent();
        Path other = dir.resolve("other.yaml");
        Files.writeString(
                other,
                Files.readString(conf)
                        .replace("base_model: tiny", "base_model: " + fixtures.toAbsolutePath()));
        IOException e =
                assertThrows(
                        IOException.class,
                        () ->
                                export(
                                        "--config",
                                        other.toString(),
                                        "--run",
                                        run.toString(),
                                        "--out",
                                        dir.resolve("z").toString()));
        String msg = e.getMessage();
        assertTrue(msg.contains("does not match the base model " + fixtures.toAbsolutePath()), msg);
        assertTrue(
                msg.contains(
                        "tensor model.layers.0.self_attn.q_proj.lora_A.weight has shape [16, 256],"
                                + " the model expects [16, 64]"),
                msg);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
