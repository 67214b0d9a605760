package io.embedforge.train.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.embedforge.train.model.MistralConfig;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

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
}
