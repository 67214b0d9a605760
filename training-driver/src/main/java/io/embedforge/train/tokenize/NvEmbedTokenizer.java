package io.embedforge.train.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.train.model.MistralConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Tokenises NV-Embed inputs with a Hugging Face {@code tokenizer.json} (DJL's Rust binding): BOS
 * and EOS on every query and document, truncation to {@code maxLength} tokens including both, right
 * padding to the longest row, and the instruction-prefix token span of each query for the pooling
 * mask. BOS is never pooled: it carries no content, so a document's pooling mask starts after it as
 * a query's starts after its instruction. The span is found from character offsets: a token is
 * instruction only if it <em>ends</em> at or before the end of the prefix. SentencePiece tokenizers
 * (Llama, Mistral) fold the space before a word into the word's token, so the first query token
 * ({@code ▁what}) starts on the prefix's trailing space; NV-Embed pools it, and so does this rule
 * (a start-offset rule would drop it). A token merged across the boundary is pooled for the same
 * reason: it carries query text. Runs on the training driver.
 */
public final class NvEmbedTokenizer implements AutoCloseable {

    /** NV-Embed's maximum input length for training and evaluation. */
    public static final int MAX_LENGTH_DEFAULT = 512;

    /** Classpath resource of the E5 tokenizer used by the tiny default model. */
    public static final String E5_TOKENIZER_RESOURCE = "/e5-small-v2-tokenizer.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final long bos;
    private final long eos;
    private final long pad;
    private final int maxLength;

    private NvEmbedTokenizer(
            HuggingFaceTokenizer tokenizer, long bos, long eos, long pad, int maxLength) {
        this.tokenizer = tokenizer;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.maxLength = maxLength;
    }

    /**
     * Opens a {@code tokenizer.json} for a decoder.
     *
     * @param file the tokenizer file
     * @param config the decoder config (vocabulary size, BOS and EOS ids)
     * @param maxLength maximum tokens per input including BOS and EOS, at least 3
     * @return the tokenizer
     * @throws IOException if the file cannot be read or its vocabulary does not fit the model
     */
    public static NvEmbedTokenizer open(Path file, MistralConfig config, int maxLength)
            throws IOException {
        return create(Files.readAllBytes(file), file.toString(), config, maxLength);
    }

    /** The E5 tokenizer bundled in the classpath, for the tiny default model. */
    public static NvEmbedTokenizer e5(MistralConfig config, int maxLength) throws IOException {
        try (InputStream in = NvEmbedTokenizer.class.getResourceAsStream(E5_TOKENIZER_RESOURCE)) {
            if (in == null) {
                throw new IOException(
                        "classpath resource " + E5_TOKENIZER_RESOURCE + " is missing");
            }
            return create(
                    in.readAllBytes(), "classpath:" + E5_TOKENIZER_RESOURCE, config, maxLength);
        }
    }

    private static NvEmbedTokenizer create(
            byte[] json, String source, MistralConfig config, int maxLength) throws IOException {
        if (maxLength < 3) {
            throw new IllegalArgumentException(
                    "max_length=" + maxLength + " must be >= 3 (BOS, a token, EOS)");
        }
        int vocab = vocabularySize(json, source);
        if (vocab > config.vocabSize()) {
            throw new IOException(
                    String.format(
                            Locale.ROOT,
                            "tokenizer %s has %d token ids but the model's vocab_size=%d; they do"
                                    + " not belong together",
                            source,
                            vocab,
                            config.vocabSize()));
        }
        Map<String, String> options =
                Map.of(
                        "addSpecialTokens",
                        "false",
                        "truncation",
                        "false",
                        "padding",
                        "false",
                        "modelMaxLength",
                        "100000000");
        HuggingFaceTokenizer t =
                HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
        return new NvEmbedTokenizer(t, config.bosTokenId(), config.eosTokenId(), 0, maxLength);
    }

    /** One more than the largest id in the file's vocabulary and added tokens. */
    static int vocabularySize(byte[] json, String source) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IOException(
                    "tokenizer " + source + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode vocab = root == null ? null : root.path("model").get("vocab");
        if (vocab == null) {
            throw new IOException("tokenizer " + source + " has no model.vocab");
        }
        long max = -1;
        if (vocab.isObject()) {
            for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
                max = Math.max(max, id.asLong());
            }
        } else if (vocab.isArray()) {
            max = vocab.size() - 1L;
        }
        for (JsonNode added : root.path("added_tokens")) {
            max = Math.max(max, added.path("id").asLong());
        }
        return Math.toIntExact(max + 1);
    }

    /** The maximum length including BOS and EOS. */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Tokenises a batch.
     *
     * @param inputs queries and documents
     * @return ids and masks, right-padded to the longest row
     */
    public TokenBatch encode(List<EmbeddingInput> inputs) {
        int n = inputs.size();
        long[][] rows = new long[n][];
        int[] instr = new int[n];
        int longest = 0;
        for (int i = 0; i < n; i++) {
            EmbeddingInput in = inputs.get(i);
            Encoding enc = tokenizer.encode(in.formatted(), false, false);
            long[] body = enc.getIds();
            int keep = Math.min(body.length, maxLength - 2);
            int prefixChars = in.prefix().length();
            int span = 0;
            if (prefixChars > 0) {
                CharSpan[] spans = enc.getCharTokenSpans();
                while (span < keep && spans[span] != null && spans[span].getEnd() <= prefixChars) {
                    span++;
                }
            }
            long[] row = new long[keep + 2];
            row[0] = bos;
            System.arraycopy(body, 0, row, 1, keep);
            row[keep + 1] = eos;
            rows[i] = row;
            instr[i] = span;
            longest = Math.max(longest, row.length);
        }
        long[] ids = new long[n * longest];
        long[] att = new long[n * longest];
        long[] pool = new long[n * longest];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < longest; j++) {
                int k = i * longest + j;
                if (j < rows[i].length) {
                    ids[k] = rows[i][j];
                    att[k] = 1;
                    pool[k] = j <= instr[i] ? 0 : 1;
                } else {
                    ids[k] = pad;
                }
            }
        }
        return new TokenBatch(n, longest, ids, att, pool, instr);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
