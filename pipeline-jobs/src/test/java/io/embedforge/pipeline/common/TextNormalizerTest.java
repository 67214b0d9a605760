package io.embedforge.pipeline.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class TextNormalizerTest {
    @Test
    void collapsesEveryKindOfWhitespaceAndTrims() {
        assertEquals("a b c d", TextNormalizer.normalize("  a\t\tb\r\n c\u00A0\u2003d \u200B"));
    }

    @Test
    void composesToNfc() {
        String decomposed = "Cafe\u0301";
        assertEquals("Caf\u00E9", TextNormalizer.normalize(decomposed));
    }

    @Test
    void whitespaceOnlyBecomesEmptyAndNullStaysNull() {
        assertEquals("", TextNormalizer.normalize(" \n\t "));
        assertNull(TextNormalizer.normalize(null));
    }

    @Test
    void findsControlCharactersButNotWhitespace() {
        assertEquals(-1, TextNormalizer.firstControlCharacter("tab\tand\nnewline\r"));
        assertEquals(0x01, TextNormalizer.firstControlCharacter("bell\u0001here"));
        assertEquals(0x7F, TextNormalizer.firstControlCharacter("del\u007F"));
        assertEquals(0x9B, TextNormalizer.firstControlCharacter("c1\u009B"));
    }
}
