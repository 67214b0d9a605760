package io.embedforge.pipeline.ingest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding that remembers where the bytes were bad. Invalid sequences become the
 * marker {@link #INVALID}, a lone low surrogate: strict decoding of valid UTF-8 never produces one
 * (UTF-8 cannot encode surrogates), so every character of valid input, the noncharacters U+FFFE and
 * U+FFFF included, stays distinct from the marker. Records that contain a marker are rejected as
 * {@code invalid_utf8} while the rest of the file is read normally.
 *
 * <p>Unpaired surrogates can still reach a record through a JSON escape such as {@code "\ud800"};
 * {@link #firstUnpairedSurrogate} finds them (they are not Unicode text and cannot be written as
 * UTF-8), and {@link #display} turns every one into U+FFFD so a reject row never holds one.
 */
public final class Utf8 {
    /** Marks a byte sequence that was not valid UTF-8. */
    public static final char INVALID = '\uDFFF';

    private static final ThreadLocal<CharsetDecoder> STRICT =
            ThreadLocal.withInitial(
                    () ->
                            StandardCharsets.UTF_8
                                    .newDecoder()
                                    .onMalformedInput(CodingErrorAction.REPORT)
                                    .onUnmappableCharacter(CodingErrorAction.REPORT));
    private static final ThreadLocal<CharsetDecoder> MARKING =
            ThreadLocal.withInitial(
                    () ->
                            StandardCharsets.UTF_8
                                    .newDecoder()
                                    .onMalformedInput(CodingErrorAction.REPLACE)
                                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                                    .replaceWith(String.valueOf(INVALID)));

    private Utf8() {}

    /** The text of {@code bytes[offset, offset+length)}, with bad sequences marked. */
    public static String decode(byte[] bytes, int offset, int length) {
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        try {
            CharBuffer out = STRICT.get().reset().decode(in);
            return out.toString();
        } catch (CharacterCodingException e) {
            try {
                return MARKING.get()
                        .reset()
                        .decode(ByteBuffer.wrap(bytes, offset, length))
                        .toString();
            } catch (CharacterCodingException impossible) {
                throw new IllegalStateException("replacing decoder reported an error", impossible);
            }
        }
    }

    /** Whether text decoded by {@link #decode} came from invalid bytes. */
    public static boolean hasInvalid(String text) {
        return text != null && text.indexOf(INVALID) >= 0;
    }

    /**
     * The first surrogate of the text that is not half of a pair, or -1. The marker of invalid
     * bytes is one too: call {@link #hasInvalid} first to tell bad bytes from bad escapes.
     */
    public static int firstUnpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return c;
            }
        }
        return -1;
    }

    /** Text fit for display and for UTF-8 storage: marks and unpaired surrogates as U+FFFD. */
    public static String display(String text) {
        if (text == null || firstUnpairedSurrogate(text) < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }
}
