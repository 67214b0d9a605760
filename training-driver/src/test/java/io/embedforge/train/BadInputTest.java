package io.embedforge.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.embedforge.train.model.DecoderFamily;
import io.embedforge.train.model.LatentAttentionConfig;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input gets an exception whose message names the file, tensor or value. */
class BadInputTest {

    static final MistralConfig C = NvEmbedModelTest.SMALL;

    @TempDir Path dir;

    private static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(
                f,
                "{\"architectures\":[\"Qwen2ForCausalLM\"],\"model_type\":\"qwen2\","
                        + "\"hidden_size\":8,\"intermediate_size\":8,\"num_hidden_layers\":1,"
                        + "\"num_attention_heads\":2,\"vocab_size\":10}",
                StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> MistralConfig.read(f));
        assertMessage(
                e,
                f.toString(),
                "model_type=qwen2",
                "Qwen2ForCausalLM",
                "allowed: model_type=mistral",
                "model_type=llama or architectures=[LlamaForCausalLM, LlamaModel]");
    }

    @Test
    void badConfigValues() {
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new MistralConfig(
                                        32,
                                        64,
                                        2,
                                        4,
                                        3,
                                        8,
                                        1e-5,
                                        1e4,
                                        50,
                                        1,
                                        2,
                                        DecoderFamily.MISTRAL,
                                        false)),
                "num_attention_heads=4 must be a multiple of num_key_value_heads=3");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new MistralConfig(
                                        32,
                                        64,
                                        2,
                                        4,
                                        2,
                                        8,
                                        1e-5,
                                        1e4,
                                        50,
                                        1,
                                        50,
                                        DecoderFamily.MISTRAL,
                                        false)),
                "eos_token_id=50 must be in [0, vocab_size=50)");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                MistralConfig.parse(
                                        "{\"model_type\":\"mistral\",\"hidden_size\":8}")),
                "missing integer field num_attention_heads");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new LoraConfig(16, 32, 0.1, Set.of("qkv"))),
                "lora.targets contains qkv; allowed: q_proj");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class, () -> new LoraConfig(0, 32, 0.1, Set.of())),
                "lora.rank=0 must be > 0");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new LoraConfig(16, 32, 1.0, Set.of())),
                "lora.dropout=1.0 must be in [0, 1)");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new LatentAttentionConfig(0, 8, 8, 8, 4, true)),
                "latent.num_latents=0 must be > 0");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new NvEmbedModel(
                                        C,
                                        null,
                                        io.embedforge.train.model.AttentionMaskMode.BIDIRECTIONAL,
                                        io.embedforge.train.model.PoolingMode.LATENT_ATTENTION,
                                        null)),
                "pooling=LATENT_ATTENTION needs a latent head config");
    }

    /** Writes the base tensors of a freshly seeded model, with one tensor removed or reshaped. */
    private Path baseCheckpoint(String drop, String reshape) throws IOException {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model =
                    NvEmbedModelTest.small(
                            m, io.embedforge.train.model.AttentionMaskMode.BIDIRECTIONAL, 1, false);
            model.getParameters().values().stream()
                    .filter(p -> !p.requiresGradient())
                    .forEach(
                            p -> {
                                HostTensor t = HostTensor.of(p.getArray());
                                if (p.getName().equals(reshape)) {
                                    long[] s = t.shape();
                                    t = new HostTensor(new long[] {s[1], s[0]}, t.values());
                                }
                                if (!p.getName().equals(drop)) {
                                    tensors.put(p.getName(), t);
                                }
                            });
        }
        Path f = dir.resolve("model.safetensors");
        SafetensorsWriter.write(f, tensors, Map.of());
        return f;
    }

    private static NvEmbedModel fresh() {
        NvEmbedModel model = NvEmbedModel.nvEmbed(C);
        ModelWeights.seedAll(model, 1);
        return model;
    }

    @Test
    void missingTensorNamesCheckpointAndTensor() throws IOException {
        Path f = baseCheckpoint("model.layers.1.mlp.up_proj.weight", null);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(f)) {
            IOException e =
                    assertThrows(
                            IOException.class,
                            () -> ModelWeights.loadBase(fresh(), ckpt, DataType.FLOAT32));
            assertMessage(
                    e, f.toString(), "missing 1 tensor(s)", "model.layers.1.mlp.up_proj.weight");
        }
    }

    @Test
    void misShapedTensorNamesFileTensorAndShapes() throws IOException {
        Path f = baseCheckpoint(null, "model.layers.0.self_attn.k_proj.weight");
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(f);
                NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = fresh();
            ModelWeights.loadBase(model, ckpt, DataType.FLOAT32);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> ModelWeights.initialize(model, m));
            assertMessage(
                    e,
                    "tensor model.layers.0.self_attn.k_proj.weight",
                    f.toString(),
                    "[32, 16]",
                    "expects [16, 32]");
        }
    }

    @Test
    void truncatedBaseCheckpointFailsAtOpen() throws IOException {
        Path f = baseCheckpoint(null, null);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length / 2));
        IOException e = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(f));
        assertMessage(e, f.toString(), "truncated");
    }

    @Test
    void noEmbeddingTensorAtAll() throws IOException {
        Path f = dir.resolve("other.safetensors");
        SafetensorsWriter.write(
                f, Map.of("x", new HostTensor(new long[] {1}, new float[] {1})), Map.of());
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(f)) {
            IOException e =
                    assertThrows(
                            IOException.class,
                            () -> ModelWeights.loadBase(fresh(), ckpt, DataType.FLOAT32));
            assertMessage(e, f.toString(), "has no embedding tensor");
        }
    }

    @Test
    void adapterConfigThatDisagreesWithModel() throws IOException {
        Files.writeString(
                dir.resolve(ModelWeights.ADAPTER_CONFIG),
                "{\"r\": 8, \"lora_alpha\": 16}",
                StandardCharsets.UTF_8);
        IOException e =
                assertThrows(IOException.class, () -> ModelWeights.loadTrainable(fresh(), dir));
        assertMessage(e, "r=8 lora_alpha=16.0", "r=16 alpha=32.0");
    }

    @Test
    void tokenizerLargerThanVocabulary() {
        IOException e = assertThrows(IOException.class, () -> NvEmbedTokenizer.e5(C, 512));
        assertMessage(e, "e5-small-v2-tokenizer.json", "30522 token ids", "vocab_size=50");
    }

    @Test
    void tokenizerFileThatIsNotATokenizer() throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\"model\": {}}", StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> NvEmbedTokenizer.open(f, C, 512));
        assertMessage(e, f.toString(), "has no model.vocab");
        assertMessage(
                assertThrows(
                        IllegalArgumentException.class,
                        () -> NvEmbedTokenizer.e5(MistralConfig.tiny(), 2)),
                "max_length=2 must be >= 3");
    }
}
