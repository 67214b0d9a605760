package io.embedforge.pipeline.ingest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding that remembers where the bytes were bad. Invalid sequences become the
 * noncharacter U+FFFF (never found in real text), so the records that contain one can be rejected
 * as {@code invalid_utf8} while the rest of the file is read normally.
 */
public final class Utf8 {
    /** Marks a byte sequence that was not valid UTF-8. */
    public static final char INVALID = '\uFFFF';

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

    /** The text of {@code bytes[offset, offset+length)}, with bad sequences marked by U+FFFF. */
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

    /** Text fit for display: marks shown as U+FFFD. */
    public static String display(String text) {
        return text == null ? null : text.replace(INVALID, '\uFFFD');
    }
}
