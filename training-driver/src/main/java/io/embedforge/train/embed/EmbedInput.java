package io.embedforge.train.embed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.settings.InvalidFileException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The rows of an {@code embed} input, one at a time (nothing is held but the current line or row
 * group): JSON Lines ({@code .jsonl}, {@code .json}: one object a line, the text in {@code
 * textField}), Parquet ({@code .parquet}: a string column) or plain text ({@code .txt}: one text a
 * line). Every row comes back, good or not: a bad one carries its reject reason, so that rows read
 * = rows embedded + rows rejected.
 */
public abstract class EmbedInput implements AutoCloseable {
    /** The field or column is absent, null or not a string. */
    public static final String MISSING_FIELD = "missing_field";

    /** The text is empty or only white space. */
    public static final String EMPTY_TEXT = "empty_text";

    /** The bytes of the line or value are not valid UTF-8. */
    public static final String INVALID_UTF8 = "invalid_utf8";

    /** A JSON Lines line that is not a JSON object. */
    public static final String MALFORMED = "malformed_record";

    /**
     * One input row.
     *
     * @param row 1-based line (JSON Lines, text) or row number (Parquet)
     * @param id the row's id field, else its row number
     * @param text the text (null when rejected)
     * @param reason null for a good row, else one of the reasons above
     * @param detail what was wrong (null for a good row)
     */
    public record Row(long row, String id, String text, String reason, String detail) {

        /** A good row. */
        static Row good(long row, String id, String text) {
            return new Row(row, id, text, null, null);
        }

        /** A rejected row. */
        static Row bad(long row, String id, String reason, String detail) {
            return new Row(row, id, null, reason, detail);
        }
    }

    /**
     * Opens {@code file} by its extension.
     *
     * @param textField the text's field (JSON Lines, Parquet; not used for text)
     * @param idField the id's field (absent or null: the row number)
     * @throws InvalidFileException for an unknown extension, a missing text field option, or a
     *     Parquet file without the text column
     */
    public static EmbedInput open(Path file, String textField, String idField) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new InvalidFileException("--input " + file + " does not exist or is not a file");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".txt")) {
            return new Lines(file, null, null);
        }
        if (textField == null || textField.isBlank()) {
            throw new InvalidFileException(
                    "--text-field is required for " + file + " (JSON Lines and Parquet input)");
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            return new Lines(file, textField, idField);
        }
        if (name.endsWith(".parquet")) {
            return new ParquetEmbedInput(file, textField, idField);
        }
        throw new InvalidFileException(
                "--input "
                        + file
                        + " has an unknown extension; allowed: .jsonl, .json (JSON Lines),"
                        + " .parquet, .txt");
    }

    /** The next row, or null at the end. */
    public abstract Row next() throws IOException;

    @Override
    public abstract void close() throws IOException;

    /** A text's row: rejected when blank. */
    static Row text(long row, String id, String text) {
        if (text.isBlank()) {
            return Row.bad(row, id, EMPTY_TEXT, "the text is empty or only white space");
        }
        return Row.good(row, id, text);
    }

    /** Strict UTF-8 decoding (malformed bytes are an error, not U+FFFD). */
    static String utf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
    }

    /** JSON Lines or text: one row a line ({@code \n}, a trailing {@code \r} dropped). */
    private static final class Lines extends EmbedInput {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final InputStream in;
        private final String textField;
        private final String idField;
        private long line;

        Lines(Path file, String textField, String idField) throws IOException {
            this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            this.textField = textField;
            this.idField = idField;
        }

        @Override
        public Row next() throws IOException {
            byte[] bytes = readLine();
            while (bytes != null && textField != null && bytes.length == 0) {
                bytes = readLine(); // a blank line of a JSON Lines file is no record
            }
            if (bytes == null) {
                return null;
            }
            String id = Long.toString(line);
            String s;
            try {
                s = utf8(bytes);
            } catch (CharacterCodingException e) {
                return Row.bad(line, id, INVALID_UTF8, "line " + line + " is not valid UTF-8");
            }
            return textField == null ? text(line, id, s) : record(s, id);
        }

        private Row record(String s, String lineId) {
            JsonNode n;
            try {
                n = JSON.readTree(s);
            } catch (JsonProcessingException e) {
                return Row.bad(line, lineId, MALFORMED, "not JSON: " + e.getOriginalMessage());
            }
            if (n == null || !n.isObject()) {
                return Row.bad(line, lineId, MALFORMED, "not a JSON object");
            }
            JsonNode idNode = idField == null ? null : n.get(idField);
            String id =
                    idNode == null || idNode.isNull() || idNode.isContainerNode()
                            ? lineId
                            : idNode.asText();
            JsonNode t = n.get(textField);
            if (t == null || !t.isTextual()) {
                return Row.bad(
                        line,
                        id,
                        MISSING_FIELD,
                        "field "
                                + textField
                                + (t == null
                                        ? " is absent"
                                        : " is not a string: " + t.getNodeType()));
            }
            return text(line, id, t.asText());
        }

        private byte[] readLine() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c = in.read();
            if (c < 0) {
                return null;
            }
            line++;
            while (c >= 0 && c != '\n') {
                b.write(c);
                c = in.read();
            }
            byte[] out = b.toByteArray();
            int n = out.length;
            if (n > 0 && out[n - 1] == '\r') {
                byte[] cut = new byte[n - 1];
                System.arraycopy(out, 0, cut, 0, n - 1);
                return cut;
            }
            return out;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
