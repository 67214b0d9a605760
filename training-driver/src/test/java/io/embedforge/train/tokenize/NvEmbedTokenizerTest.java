package io.embedforge.train.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.train.model.DecoderFamily;
import io.embedforge.train.model.MistralConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NvEmbedTokenizerTest {

    static final MistralConfig TINY = MistralConfig.tiny();

    @Test
    void addsBosEosPadsRightAndMasksInstruction() throws IOException {
        try (NvEmbedTokenizer tok = NvEmbedTokenizer.e5(TINY, 512)) {
            TokenBatch b =
                    tok.encode(
                            List.of(
                                    EmbeddingInput.query("find cats", "a cat"),
                                    EmbeddingInput.document("dogs bark")));
            // WordPiece: [ins, ##truct, :, find, cats, query, :, a, cat]; the instruction prefix
            // "Instruct: find cats\nQuery: " is the first 7. Row = BOS + 9 + EOS = 11.
            assertEquals(2, b.batch());
            assertEquals(11, b.length());
            assertArrayEquals(new int[] {7, 0}, b.instructionTokens());
            long[] ids = b.ids();
            assertArrayEquals(
                    new long[] {101, 16021, 18300, 1024, 2424, 8870, 23032, 1024, 1037, 4937, 102},
                    java.util.Arrays.copyOf(ids, 11));
            assertArrayEquals(
                    new long[] {101, 6077, 11286, 102, 0, 0, 0, 0, 0, 0, 0},
                    java.util.Arrays.copyOfRange(ids, 11, 22));
            assertArrayEquals(
                    new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
                    b.attentionMask());
            assertArrayEquals(
                    new long[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
                    b.poolingMask());
            assertEquals(15, b.tokenCount());
        }
    }

    @Test
    void truncatesToMaxLengthKeepingEos() throws IOException {
        try (NvEmbedTokenizer tok = NvEmbedTokenizer.e5(TINY, 5)) {
            TokenBatch b =
                    tok.encode(List.of(EmbeddingInput.document("one two three four five six")));
            assertEquals(5, b.length());
            assertEquals(101, b.ids()[0]);
            assertEquals(102, b.ids()[4]);
        }
    }

    @Test
    void instructionLongerThanLimitStillPoolsEos() throws IOException {
        try (NvEmbedTokenizer tok = NvEmbedTokenizer.e5(TINY, 6)) {
            TokenBatch b =
                    tok.encode(List.of(EmbeddingInput.query("a very long task definition", "q")));
            assertEquals(4, b.instructionTokens()[0]);
            assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1}, b.poolingMask());
        }
    }

    /** Vocabulary 110 with {@code <s>} = 1 and {@code </s>} = 2, as the fixtures are trained. */
    static final MistralConfig SENTENCEPIECE =
            new MistralConfig(
                    64, 128, 1, 4, 2, 16, 1e-5, 1e4, 150, 1, 2, DecoderFamily.MISTRAL, false);

    /**
     * SentencePiece tokenizers (Llama, Mistral) put the space before a word into the word's token:
     * in {@code "...\nQuery: what"} the token {@code ▁what} starts on the prefix's trailing space.
     * It is the first query token and must be pooled (NV-Embed pools it); only tokens ending inside
     * the prefix are instruction. Both tokenizer.json layouts of such tokenizers are covered.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sentencepiece-prepend.json", "sentencepiece-metaspace.json"})
    void sentencePieceFirstQueryTokenIsPooled(String fixture)
            throws IOException, URISyntaxException {
        Path file =
                Path.of(NvEmbedTokenizerTest.class.getResource("/tokenizers/" + fixture).toURI());
        long what =
                new ObjectMapper()
                        .readTree(file.toFile())
                        .path("model")
                        .path("vocab")
                        .path("▁what")
                        .asLong(-1);
        try (NvEmbedTokenizer tok = NvEmbedTokenizer.open(file, SENTENCEPIECE, 512)) {
            TokenBatch b =
                    tok.encode(
                            List.of(
                                    EmbeddingInput.query(
                                            "Given a web search query", "what is the capital"),
                                    EmbeddingInput.document("what is the capital")));
            // ▁Instruct: ▁Given ▁a ▁web ▁search ▁query \nQuery: | ▁what ▁is ▁the ▁capital
            assertEquals(13, b.length());
            assertArrayEquals(new int[] {7, 0}, b.instructionTokens());
            assertEquals(what, b.ids()[8], "token after BOS + 7 instruction tokens is ▁what");
            assertArrayEquals(
                    new long[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1},
                    java.util.Arrays.copyOf(b.poolingMask(), 13));
            assertArrayEquals(
                    new long[] {0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
                    java.util.Arrays.copyOfRange(b.poolingMask(), 13, 26));
            assertEquals(what, b.ids()[14]);
        }
    }
}
