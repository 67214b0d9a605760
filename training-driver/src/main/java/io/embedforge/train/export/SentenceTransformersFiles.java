package io.embedforge.train.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.contract.TrainingContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The files that make an export load with {@code SentenceTransformer(dir, trust_remote_code=True)}:
 * {@code modules.json} (our input module, then sentence-transformers' {@code Normalize}), {@code
 * config_sentence_transformers.json} (one prompt per task instruction), {@code
 * modeling_embedforge.py} (our module: tokenisation, bidirectional decoder with the adapter folded
 * in, latent-attention pooling with the instruction tokens masked), and the tokenizer ({@code
 * tokenizer.json}, {@code tokenizer_config.json} with BOS/EOS/pad and right padding) so that {@code
 * AutoTokenizer} works too. Every path the module reads is relative to the export folder, so it
 * loads from any current directory.
 */
final class SentenceTransformersFiles {
    /** The custom module's file (a classpath resource, our own code). */
    static final String MODELING = "modeling_embedforge.py";

    /** Its class, as {@code modules.json} names it. */
    static final String MODULE_CLASS = "modeling_embedforge.EmbedForgeNvEmbed";

    /** sentence-transformers' L2 normalisation module. */
    static final String NORMALIZE_CLASS = "sentence_transformers.base.modules.Normalize";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SentenceTransformersFiles() {}

    /**
     * Writes the files into {@code out}.
     *
     * @param tokenizerJson the base model's {@code tokenizer.json}
     * @param bos BOS id, @param eos EOS id (of the decoder config); the pad id is 0 as in training
     * @param instructions per stage, instruction to rows (the prompts)
     */
    static void write(
            Path out,
            Path tokenizerJson,
            int bos,
            int eos,
            int maxLength,
            Map<String, Map<String, Long>> instructions)
            throws IOException {
        Files.copy(
                tokenizerJson, out.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        JsonNode tok = JSON.readTree(tokenizerJson.toFile());
        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        tc.put("bos_token", token(tok, bos, tokenizerJson));
        tc.put("eos_token", token(tok, eos, tokenizerJson));
        tc.put("pad_token", token(tok, 0, tokenizerJson));
        tc.put("padding_side", "right");
        tc.put("truncation_side", "right");
        tc.put("model_max_length", maxLength);
        tc.put("clean_up_tokenization_spaces", false);
        writeJson(out.resolve("tokenizer_config.json"), tc);
        ObjectNode sp = JSON.createObjectNode();
        sp.put("bos_token", tc.get("bos_token").asText());
        sp.put("eos_token", tc.get("eos_token").asText());
        sp.put("pad_token", tc.get("pad_token").asText());
        writeJson(out.resolve("special_tokens_map.json"), sp);

        ArrayNode modules = JSON.createArrayNode();
        modules.addObject()
                .put("idx", 0)
                .put("name", "0")
                .put("path", "")
                .put("type", MODULE_CLASS);
        modules.addObject()
                .put("idx", 1)
                .put("name", "1")
                .put("path", "1_Normalize")
                .put("type", NORMALIZE_CLASS);
        writeJson(out.resolve("modules.json"), modules);
        Files.createDirectories(out.resolve("1_Normalize"));
        writeJson(out.resolve("1_Normalize").resolve("config.json"), JSON.createObjectNode());

        ObjectNode st = JSON.createObjectNode();
        ObjectNode prompts = st.putObject("prompts");
        prompts.put("document", "");
        prompts(instructions).forEach(prompts::put);
        st.putNull("default_prompt_name");
        st.put("similarity_fn_name", "cosine");
        writeJson(out.resolve("config_sentence_transformers.json"), st);

        try (InputStream in = SentenceTransformersFiles.class.getResourceAsStream(MODELING)) {
            if (in == null) {
                throw new IOException("classpath resource " + MODELING + " is missing");
            }
            Files.copy(in, out.resolve(MODELING), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * One prompt per non-blank instruction of the blend, named by its words in lower case joined by
     * {@code _} (a number appended when two names meet), the text being the query template's prefix
     * {@code Instruct: {instruction}\nQuery: }.
     */
    static Map<String, String> prompts(Map<String, Map<String, Long>> instructions) {
        TreeSet<String> all = new TreeSet<>();
        instructions.values().forEach(m -> all.addAll(m.keySet()));
        Map<String, String> out = new LinkedHashMap<>();
        for (String instruction : all) {
            if (instruction.isBlank()) {
                continue;
            }
            String base =
                    instruction
                            .toLowerCase(Locale.ROOT)
                            .replaceAll("[^a-z0-9]+", "_")
                            .replaceAll("^_+|_+$", "");
            if (base.isEmpty() || base.equals("document") || base.equals("query")) {
                base = "instruction_" + base;
            }
            String name = base;
            for (int i = 2; out.containsKey(name); i++) {
                name = base + "_" + i;
            }
            out.put(name, TrainingContract.queryText(instruction, ""));
        }
        return out;
    }

    /** The text of token {@code id} in a {@code tokenizer.json} (added tokens, then vocab). */
    static String token(JsonNode tok, int id, Path file) throws IOException {
        for (JsonNode a : tok.path("added_tokens")) {
            if (a.path("id").asInt(-1) == id) {
                return a.path("content").asText();
            }
        }
        JsonNode vocab = tok.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e :
                    (Iterable<Map.Entry<String, JsonNode>>) vocab::fields) {
                if (e.getValue().asInt(-1) == id) {
                    return e.getKey();
                }
            }
        } else if (vocab.isArray() && id < vocab.size()) {
            return vocab.get(id).get(0).asText();
        }
        throw new IOException("tokenizer " + file + " has no token with id " + id);
    }

    private static void writeJson(Path file, JsonNode n) throws IOException {
        Files.writeString(
                file,
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n),
                StandardCharsets.UTF_8);
    }
}
