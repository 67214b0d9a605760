package io.embedforge.train.data;

import io.embedforge.contract.TrainingContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Streams the rows of one training Parquet file, one row group in memory at a time, checking each
 * row against the contract and that {@code batch_index} never decreases within the file. Reads the
 * local file directly (no Hadoop file system, no Spark).
 */
final class ParquetExampleFile implements AutoCloseable {

    private final Path file;
    private final ParquetFileReader reader;
    private final MessageType schema;
    private final MessageColumnIO columnIO;
    private RecordReader<Group> rows;
    private long rowsLeftInGroup;
    private long row = -1;
    private long lastBatch = Long.MIN_VALUE;

    ParquetExampleFile(Path file) throws IOException {
        this.file = file;
        reader = ParquetFileReader.open(new LocalInputFile(file));
        try {
            schema = reader.getFooter().getFileMetaData().getSchema();
            checkSchema();
            columnIO = new ColumnIOFactory().getColumnIO(schema);
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    private void checkSchema() {
        List<String> missing = new ArrayList<>();
        for (String c : TrainingContract.COLUMNS) {
            if (!schema.containsField(c)) {
                missing.add(c);
            }
        }
        if (!missing.isEmpty()) {
            throw new ContractException(
                    "training file "
                            + file
                            + " lacks contract column(s) "
                            + missing
                            + "; it has "
                            + schema.getFields().stream().map(Type::getName).toList());
        }
        Type negatives = schema.getType(TrainingContract.NEGATIVES);
        if (negatives.isPrimitive()) {
            throw new ContractException(
                    "training file "
                            + file
                            + ": column negatives must be array<string>, is "
                            + negatives);
        }
    }

    /** Total rows according to the footer. */
    long rowCount() {
        return reader.getRecordCount();
    }

    /** The next row, or {@code null} at the end of the file. */
    TrainingExample next() {
        try {
            while (rowsLeftInGroup == 0) {
                PageReadStore pages = reader.readNextRowGroup();
                if (pages == null) {
                    return null;
                }
                rowsLeftInGroup = pages.getRowCount();
                rows = columnIO.getRecordReader(pages, new GroupRecordConverter(schema));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
        rowsLeftInGroup--;
        row++;
        TrainingExample ex = toExample(rows.read());
        if (ex.batchIndex() < lastBatch) {
            throw new ContractException(
                    String.format(
                            "training file %s row %d: batch_index %d after %d; rows must be sorted"
                                    + " by batch_index",
                            file, row, ex.batchIndex(), lastBatch));
        }
        lastBatch = ex.batchIndex();
        return ex;
    }

    private TrainingExample toExample(Group g) {
        String id = string(g, TrainingContract.EXAMPLE_ID, true);
        String positive = string(g, TrainingContract.POSITIVE, true);
        if (positive.isBlank()) {
            throw bad("example " + id + " has an empty positive");
        }
        String queryText = string(g, TrainingContract.QUERY_TEXT, true);
        if (queryText.isBlank()) {
            throw bad("example " + id + " has an empty query_text");
        }
        List<String> negatives = list(g, TrainingContract.NEGATIVES, id);
        if (negatives.size() > TrainingExample.MAX_NEGATIVES) {
            throw bad(
                    "example "
                            + id
                            + " has "
                            + negatives.size()
                            + " negatives, at most "
                            + TrainingExample.MAX_NEGATIVES
                            + " allowed");
        }
        if (g.getFieldRepetitionCount(TrainingContract.IN_BATCH_NEGATIVES) == 0
                || g.getFieldRepetitionCount(TrainingContract.BATCH_INDEX) == 0) {
            throw bad("example " + id + " has a null in_batch_negatives or batch_index");
        }
        boolean inBatch = g.getBoolean(TrainingContract.IN_BATCH_NEGATIVES, 0);
        PrimitiveType bt = schema.getType(TrainingContract.BATCH_INDEX).asPrimitiveType();
        long batch =
                bt.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT32
                        ? g.getInteger(TrainingContract.BATCH_INDEX, 0)
                        : g.getLong(TrainingContract.BATCH_INDEX, 0);
        return new TrainingExample(
                id,
                queryText,
                string(g, TrainingContract.INSTRUCTION, false),
                string(g, TrainingContract.QUERY, false),
                string(g, TrainingContract.DOCUMENT_INSTRUCTION, false),
                positive,
                negatives,
                inBatch,
                batch);
    }

    private String string(Group g, String field, boolean required) {
        if (g.getFieldRepetitionCount(field) == 0) {
            if (required) {
                throw bad("column " + field + " is null");
            }
            return "";
        }
        return g.getString(field, 0);
    }

    /** Reads Spark's 3-level list ({@code list.element}) or a 2-level repeated field. */
    private List<String> list(Group g, String field, String id) {
        List<String> out = new ArrayList<>();
        if (g.getFieldRepetitionCount(field) == 0) {
            return out;
        }
        Group lst = g.getGroup(field, 0);
        GroupType t = lst.getType();
        String rep = t.getFieldName(0);
        int n = lst.getFieldRepetitionCount(rep);
        for (int i = 0; i < n; i++) {
            String value;
            if (t.getType(0).isPrimitive()) {
                value = lst.getString(rep, i);
            } else {
                Group el = lst.getGroup(rep, i);
                String elName = el.getType().getFieldName(0);
                if (el.getFieldRepetitionCount(elName) == 0) {
                    throw bad("example " + id + " has a null negative at position " + i);
                }
                value = el.getString(elName, 0);
            }
            if (value.isBlank()) {
                throw bad("example " + id + " has an empty negative at position " + i);
            }
            out.add(value);
        }
        return out;
    }

    private ContractException bad(String what) {
        return new ContractException("training file " + file + " row " + row + ": " + what);
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
