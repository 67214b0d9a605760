package io.embedforge.train.embed;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The two Parquet files of {@code embed}: the embeddings ({@code id, text, embedding}, a list of
 * float32, the standard 3-level list that pyarrow and Spark read as {@code list<float>}) and the
 * rejects ({@code row, id, reason, detail}).
 */
final class EmbedOutput implements AutoCloseable {
    /** Schema of the embeddings file. */
    static final MessageType EMBEDDINGS =
            MessageTypeParser.parseMessageType(
                    """
                    message embeddings {
                      required binary id (STRING);
                      required binary text (STRING);
                      required group embedding (LIST) {
                        repeated group list { required float element; }
                      }
                    }
                    """);

    /** Schema of the rejects file. */
    static final MessageType REJECTS =
            MessageTypeParser.parseMessageType(
                    """
                    message rejects {
                      required int64 row;
                      required binary id (STRING);
                      required binary reason (STRING);
                      required binary detail (STRING);
                    }
                    """);

    private final ParquetWriter<Group> embeddings;
    private final ParquetWriter<Group> rejects;
    private final SimpleGroupFactory embeddingRows = new SimpleGroupFactory(EMBEDDINGS);
    private final SimpleGroupFactory rejectRows = new SimpleGroupFactory(REJECTS);

    EmbedOutput(Path embeddingsFile, Path rejectsFile) throws IOException {
        embeddings = writer(embeddingsFile, EMBEDDINGS);
        try {
            rejects = writer(rejectsFile, REJECTS);
        } catch (IOException e) {
            embeddings.close();
            throw e;
        }
    }

    private static ParquetWriter<Group> writer(Path file, MessageType schema) throws IOException {
        return ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .build();
    }

    void embedding(String id, String text, float[] vector) throws IOException {
        Group g = embeddingRows.newGroup().append("id", id).append("text", text);
        Group list = g.addGroup("embedding");
        for (float v : vector) {
            list.addGroup("list").append("element", v);
        }
        embeddings.write(g);
    }

    void reject(EmbedInput.Row r) throws IOException {
        rejects.write(
                rejectRows
                        .newGroup()
                        .append("row", r.row())
                        .append("id", r.id())
                        .append("reason", r.reason())
                        .append("detail", r.detail()));
    }

    @Override
    public void close() throws IOException {
        try {
            embeddings.close();
        } finally {
            rejects.close();
        }
    }
}
