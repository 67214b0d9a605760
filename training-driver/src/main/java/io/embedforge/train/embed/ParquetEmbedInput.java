package io.embedforge.train.embed;

import io.embedforge.settings.InvalidFileException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * A local Parquet file's rows, one row group in memory at a time. The text column must be a
 * top-level string (binary) column, else the command stops before anything is embedded; a null
 * value is a {@code missing_field} reject, bytes that are not UTF-8 an {@code invalid_utf8} one.
 */
final class ParquetEmbedInput extends EmbedInput {
    private final ParquetFileReader reader;
    private final MessageType schema;
    private final MessageColumnIO columnIO;
    private final String textField;
    private final String idField;
    private RecordReader<Group> rows;
    private long left;
    private long row;

    ParquetEmbedInput(Path file, String textField, String idField) throws IOException {
        reader = ParquetFileReader.open(new LocalInputFile(file));
        schema = reader.getFooter().getFileMetaData().getSchema();
        this.textField = textField;
        this.idField =
                idField != null
                                && schema.containsField(idField)
                                && schema.getType(idField).isPrimitive()
                        ? idField
                        : null;
        List<String> columns = schema.getFields().stream().map(Type::getName).toList();
        if (!schema.containsField(textField)) {
            reader.close();
            throw new InvalidFileException(
                    "--text-field "
                            + textField
                            + ": "
                            + file
                            + " has no such column; it has "
                            + columns);
        }
        Type t = schema.getType(textField);
        if (!t.isPrimitive()
                || t.asPrimitiveType().getPrimitiveTypeName()
                        != PrimitiveType.PrimitiveTypeName.BINARY) {
            reader.close();
            throw new InvalidFileException(
                    "--text-field "
                            + textField
                            + ": column of "
                            + file
                            + " is "
                            + t
                            + ", a string column is needed");
        }
        columnIO = new ColumnIOFactory().getColumnIO(schema);
    }

    @Override
    public Row next() throws IOException {
        while (left == 0) {
            PageReadStore pages = reader.readNextRowGroup();
            if (pages == null) {
                return null;
            }
            left = pages.getRowCount();
            rows = columnIO.getRecordReader(pages, new GroupRecordConverter(schema));
        }
        left--;
        row++;
        Group g = rows.read();
        String id = Long.toString(row);
        if (idField != null && g.getFieldRepetitionCount(idField) > 0) {
            id = g.getValueToString(schema.getFieldIndex(idField), 0);
        }
        if (g.getFieldRepetitionCount(textField) == 0) {
            return Row.bad(row, id, MISSING_FIELD, "column " + textField + " is null");
        }
        try {
            return text(row, id, utf8(g.getBinary(textField, 0).getBytes()));
        } catch (CharacterCodingException e) {
            return Row.bad(row, id, INVALID_UTF8, "column " + textField + " is not valid UTF-8");
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
