package io.embedforge.train.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The decoder hyper-parameters read from a Hugging Face {@code config.json} of a Mistral model
 * (Mistral-7B-v0.1 in the NV-Embed paper) or a Llama-family model (e.g. SmolLM2): see {@link
 * DecoderFamily}. Validated when built so a wrong folder fails before any weight is read; options
 * that would change the computation and are not implemented (attention or MLP biases, an activation
 * other than SiLU, RoPE scaling) are rejected naming the key.
 *
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size} (SwiGLU width)
 * @param numLayers {@code num_hidden_layers}
 * @param numHeads {@code num_attention_heads}
 * @param numKvHeads {@code num_key_value_heads} (grouped-query attention)
 * @param headDim {@code head_dim}, or {@code hidden_size / num_attention_heads} when absent
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}, top-level or in {@code rope_parameters}
 * @param vocabSize {@code vocab_size}
 * @param bosTokenId {@code bos_token_id}
 * @param eosTokenId {@code eos_token_id}
 * @param family Mistral or Llama ({@code model_type} / {@code architectures})
 * @param tieWordEmbeddings {@code tie_word_embeddings}: the LM head shares the input embedding, so
 *     a checkpoint has no {@code lm_head.weight} (only recorded: the embedding model has no head)
 */
public record MistralConfig(
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        int vocabSize,
        int bosTokenId,
        int eosTokenId,
        DecoderFamily family,
        boolean tieWordEmbeddings) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Checks every value; messages name the field, the value and the allowed range. */
    public MistralConfig {
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("vocab_size", vocabSize);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT,
                            "num_attention_heads=%d must be a multiple of num_key_value_heads=%d",
                            numHeads,
                            numKvHeads));
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException(
                    "head_dim=" + headDim + " must be even (rotary embeddings rotate pairs)");
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0)) {
            throw new IllegalArgumentException(
                    "rms_norm_eps=" + rmsNormEps + " and rope_theta=" + ropeTheta + " must be > 0");
        }
        tokenId("bos_token_id", bosTokenId, vocabSize);
        tokenId("eos_token_id", eosTokenId, vocabSize);
        if (family == null) {
            throw new IllegalArgumentException("family must be set");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + "=" + v + " must be > 0");
        }
    }

    private static void tokenId(String name, int id, int vocab) {
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT, "%s=%d must be in [0, vocab_size=%d)", name, id, vocab));
        }
    }

    /** Query heads per key/value head. */
    public int groups() {
        return numHeads / numKvHeads;
    }

    /**
     * The tiny default model for demos and tests: 2 layers, hidden 256, 4 query heads sharing 2
     * key/value heads, and the vocabulary of the E5 tokenizer bundled in the classpath (BERT
     * WordPiece, so {@code [CLS]} = 101 serves as BOS and {@code [SEP]} = 102 as EOS).
     */
    public static MistralConfig tiny() {
        return new MistralConfig(
                256,
                512,
                2,
                4,
                2,
                64,
                1e-5,
                10000.0,
                30522,
                101,
                102,
                DecoderFamily.MISTRAL,
                false);
    }

    /**
     * Reads {@code config.json}.
     *
     * @param file the config file
     * @return the validated config
     * @throws IOException if the file cannot be read or describes an unsupported model; the message
     *     names the file
     */
    public static MistralConfig read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses the text of a {@code config.json}.
     *
     * @param json the JSON text
     * @return the validated config
     * @throws IllegalArgumentException for an unsupported architecture or a bad value
     */
    public static MistralConfig parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("config must be a JSON object");
        }
        List<String> archs = new ArrayList<>();
        if (root.has("architectures")) {
            root.get("architectures").forEach(a -> archs.add(a.asText()));
        }
        String modelType = root.path("model_type").asText("");
        DecoderFamily family = DecoderFamily.of(modelType, archs);
        if (family == null) {
            throw new IllegalArgumentException(
                    "model_type="
                            + modelType
                            + " architectures="
                            + archs
                            + " is not supported; allowed: "
                            + DecoderFamily.allowed());
        }
        rejectUnimplemented(root);
        int hidden = required(root, "hidden_size");
        int heads = required(root, "num_attention_heads");
        JsonNode hd = root.get("head_dim");
        int headDim = hd == null || hd.isNull() ? hidden / Math.max(heads, 1) : hd.asInt();
        return new MistralConfig(
                hidden,
                required(root, "intermediate_size"),
                required(root, "num_hidden_layers"),
                heads,
                root.has("num_key_value_heads") ? root.get("num_key_value_heads").asInt() : heads,
                headDim,
                root.path("rms_norm_eps").asDouble(1e-6),
                ropeTheta(root),
                required(root, "vocab_size"),
                root.path("bos_token_id").asInt(1),
                firstId(root.get("eos_token_id"), 2),
                family,
                root.path("tie_word_embeddings").asBoolean(false));
    }

    /** {@code eos_token_id} may be a list (several stop tokens): the first is the EOS appended. */
    private static int firstId(JsonNode n, int fallback) {
        if (n == null || n.isNull()) {
            return fallback;
        }
        return n.isArray() && !n.isEmpty() ? n.get(0).asInt() : n.asInt();
    }

    /** Options that change the computation and that this implementation does not have. */
    private static void rejectUnimplemented(JsonNode root) {
        for (String flag : List.of("attention_bias", "mlp_bias")) {
            if (root.path(flag).asBoolean(false)) {
                throw new IllegalArgumentException(
                        flag + "=true is not implemented; allowed: false (no biases)");
            }
        }
        String act = root.path("hidden_act").asText("silu");
        if (!"silu".equals(act)) {
            throw new IllegalArgumentException(
                    "hidden_act=" + act + " is not implemented; allowed: silu (SwiGLU)");
        }
    }

    /** The only rotary-embedding type implemented: plain RoPE with base {@code rope_theta}. */
    public static final String ROPE_TYPE_DEFAULT = "default";

    /** Base of the rotary embedding when a config gives none ({@code transformers}' default). */
    public static final double ROPE_THETA_DEFAULT = 10000.0;

    /**
     * {@code rope_theta} from either layout: top-level (transformers 4) or inside {@code
     * rope_parameters} (transformers 5). A {@code rope_type} or {@code rope_scaling} other than
     * {@value #ROPE_TYPE_DEFAULT} changes the frequencies, so it is rejected rather than ignored.
     */
    static double ropeTheta(JsonNode root) {
        JsonNode params = ropeObject(root, "rope_parameters");
        ropeObject(root, "rope_scaling");
        JsonNode top = root.get("rope_theta");
        JsonNode nested = params == null ? null : params.get("rope_theta");
        boolean hasTop = top != null && !top.isNull();
        boolean hasNested = nested != null && !nested.isNull();
        if (hasTop && hasNested && top.asDouble() != nested.asDouble()) {
            throw new IllegalArgumentException(
                    "rope_theta="
                            + top.asDouble()
                            + " and rope_parameters.rope_theta="
                            + nested.asDouble()
                            + " disagree; give one value");
        }
        return hasNested ? nested.asDouble() : hasTop ? top.asDouble() : ROPE_THETA_DEFAULT;
    }

    /** The object at {@code key} (null if absent or null), checked to be of the default type. */
    private static JsonNode ropeObject(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException(key + " must be a JSON object, got " + n);
        }
        for (String field : List.of("rope_type", "type")) {
            JsonNode t = n.get(field);
            if (t != null && !t.isNull() && !ROPE_TYPE_DEFAULT.equals(t.asText())) {
                throw new IllegalArgumentException(
                        String.format(
                                Locale.ROOT,
                                "%s.%s=%s is not implemented; allowed: %s (plain RoPE with"
                                        + " rope_theta)",
                                key,
                                field,
                                t.asText(),
                                ROPE_TYPE_DEFAULT));
            }
        }
        return n;
    }

    private static int required(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.canConvertToInt()) {
            throw new IllegalArgumentException("missing integer field " + field);
        }
        return n.asInt();
    }

    /** The config as a {@code config.json} text that {@code transformers} accepts. */
    public String toJson() {
        return String.format(
                Locale.ROOT,
                "{\"architectures\": [\"%s\"], \"model_type\": \"%s\", \"hidden_size\": %d,"
                        + " \"intermediate_size\": %d, \"num_hidden_layers\": %d,"
                        + " \"num_attention_heads\": %d, \"num_key_value_heads\": %d,"
                        + " \"head_dim\": %d, \"rms_norm_eps\": %s, \"rope_theta\": %s,"
                        + " \"vocab_size\": %d, \"bos_token_id\": %d, \"eos_token_id\": %d,"
                        + " \"hidden_act\": \"silu\", \"tie_word_embeddings\": %s}",
                family.architecture(),
                family.modelType(),
                hiddenSize,
                intermediateSize,
                numLayers,
                numHeads,
                numKvHeads,
                headDim,
                Double.toString(rmsNormEps),
                Double.toString(ropeTheta),
                vocabSize,
                bosTokenId,
                eosTokenId,
                tieWordEmbeddings);
    }
}
