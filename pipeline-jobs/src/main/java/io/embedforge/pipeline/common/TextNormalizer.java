package io.embedforge.pipeline.common;

import java.text.Normalizer;

/**
 * The one text normalisation of the pipeline: Unicode NFC, every run of whitespace (including line
 * breaks, tabs and no-break spaces) collapsed to one ASCII space, and trimmed. Dedup,
 * decontamination and "identical text" checks of the miners all compare normalised text, so they
 * all go through here.
 *
 * <p>Runs on executors; stateless and thread-safe.
 */
public final class TextNormalizer {
    private TextNormalizer() {}

    /** Normalised text; null stays null. */
    public static String normalize(String text) {
        if (text == null) {
            return null;
        }
        String nfc =
                Normalizer.isNormalized(text, Normalizer.Form.NFC)
                        ? text
                        : Normalizer.normalize(text, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(nfc.length());
        boolean pendingSpace = false;
        for (int i = 0; i < nfc.length(); ) {
            int cp = nfc.codePointAt(i);
            i += Character.charCount(cp);
            if (isSpace(cp)) {
                pendingSpace = out.length() > 0;
                continue;
            }
            if (pendingSpace) {
                out.append(' ');
                pendingSpace = false;
            }
            out.appendCodePoint(cp);
        }
        return out.toString();
    }

    /**
     * The first control character of the text that is not whitespace (C0 other than tab, line feed
     * and carriage return; DEL; C1), or -1 when there is none. Such characters mark binary junk or
     * broken encodings, so ingest rejects the record rather than guessing.
     */
    public static int firstControlCharacter(String text) {
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (Character.getType(cp) == Character.CONTROL && !isSpace(cp)) {
                return cp;
            }
            i += Character.charCount(cp);
        }
        return -1;
    }

    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp)
                || Character.isSpaceChar(cp)
                || cp == 0x85
                || cp == 0x200B
                || cp == 0xFEFF;
    }
}
