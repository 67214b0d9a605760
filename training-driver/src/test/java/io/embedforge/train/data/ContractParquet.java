package io.embedforge.train.data;

import io.embedforge.contract.TrainingContract;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Writes training-contract Parquet fixtures the way Spark lays them out (3-level lists). */
public final class ContractParquet {

    /** The contract schema as Spark writes it. */
    public static final MessageType SCHEMA =
            MessageTypeParser.parseMessageType(
                    """
                    message spark_schema {
                      optional binary example_id (STRING);
                      optional int32 stage;
                      optional binary source (STRING);
                      optional binary task_type (STRING);
                      optional binary instruction (STRING);
                      optional binary query (STRING);
                      optional binary query_text (STRING);
                      optional binary positive (STRING);
                      optional group negatives (LIST) {
                        repeated group list { optional binary element (STRING); }
                      }
                      optional group negative_scores (LIST) {
                        repeated group list { optional double element; }
                      }
                      optional binary negative_miner (STRING);
                      optional binary document_instruction (STRING);
                      optional boolean in_batch_negatives;
                      optional int64 batch_index;
                    }
                    """);

    /** A row to write. */
    public record Row(
            String id,
            int stage,
            String query,
            String positive,
            List<String> negatives,
            long batch,
            String documentInstruction) {

        /** A row without document instruction (every source but STS). */
        public Row(
                String id,
                int stage,
                String query,
                String positive,
                List<String> negatives,
                long batch) {
            this(id, stage, query, positive, negatives, batch, null);
        }
    }

    private ContractParquet() {}

    /** Writes rows to {@code file} with small row groups so streaming crosses groups. */
    public static void write(Path file, List<Row> rows) throws IOException {
        write(file, rows, SCHEMA);
    }

    /** Writes rows with a given (possibly broken) schema; absent columns are skipped. */
    public static void write(Path file, List<Row> rows, MessageType schema) throws IOException {
        SimpleGroupFactory f = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> w =
                ExampleParquetWriter.builder(new LocalOutputFile(file))
                        .withType(schema)
                        .withRowGroupSize(4096L)
                        .withPageSize(1024)
                        .build()) {
            for (Row r : rows) {
                Group g = f.newGroup();
                put(g, schema, TrainingContract.EXAMPLE_ID, r.id());
                if (schema.containsField(TrainingContract.STAGE)) {
                    g.add(TrainingContract.STAGE, r.stage());
                }
                put(g, schema, TrainingContract.SOURCE, "fixture");
                put(g, schema, TrainingContract.TASK_TYPE, "retrieval");
                String instr = "Given a question, retrieve passages that answer the question";
                put(g, schema, TrainingContract.INSTRUCTION, instr);
                put(g, schema, TrainingContract.QUERY, r.query());
                put(
                        g,
                        schema,
                        TrainingContract.QUERY_TEXT,
                        "Instruct: " + instr + "\nQuery: " + r.query());
                put(g, schema, TrainingContract.POSITIVE, r.positive());
                if (r.documentInstruction() != null) {
                    put(g, schema, TrainingContract.DOCUMENT_INSTRUCTION, r.documentInstruction());
                }
                if (schema.containsField(TrainingContract.NEGATIVES)) {
                    Group lst = g.addGroup(TrainingContract.NEGATIVES);
                    Group scores = g.addGroup(TrainingContract.NEGATIVE_SCORES);
                    for (String n : r.negatives()) {
                        lst.addGroup("list").append("element", n);
                        scores.addGroup("list").append("element", 0.5);
                    }
                }
                put(g, schema, TrainingContract.NEGATIVE_MINER, "e5");
                if (schema.containsField(TrainingContract.IN_BATCH_NEGATIVES)) {
                    g.add(TrainingContract.IN_BATCH_NEGATIVES, r.stage() == 1);
                }
                if (schema.containsField(TrainingContract.BATCH_INDEX)) {
                    g.add(TrainingContract.BATCH_INDEX, r.batch());
                }
                w.write(g);
            }
        }
    }

    private static void put(Group g, MessageType schema, String field, String value) {
        if (schema.containsField(field)) {
            g.add(field, value);
        }
    }

    /**
     * A synthetic stage: {@code batches x perBatch} rows of question/answer pairs about numbered
     * topics, each with {@code i % 8} negatives (0..7), split round-robin by batch over {@code
     * files} part files.
     */
    public static void writeStage(Path dir, int stage, int batches, int perBatch, int files)
            throws IOException {
        java.nio.file.Files.createDirectories(dir);
        List<List<Row>> parts = new java.util.ArrayList<>();
        for (int f = 0; f < files; f++) {
            parts.add(new java.util.ArrayList<>());
        }
        int i = 0;
        for (int b = 0; b < batches; b++) {
            for (int k = 0; k < perBatch; k++, i++) {
                List<String> negs = new java.util.ArrayList<>();
                for (int n = 0; n < i % 8; n++) {
                    negs.add("passage about topic " + (i + n + 1) * 7 % 97 + " and colour " + n);
                }
                parts.get(b % files)
                        .add(
                                new Row(
                                        "s" + stage + "-" + i,
                                        stage,
                                        "what is topic " + i % 97 + "?",
                                        "topic " + i % 97 + " is about item " + i % 13,
                                        negs,
                                        b));
            }
        }
        for (int f = 0; f < files; f++) {
            write(dir.resolve(String.format("part-%05d.parquet", f)), parts.get(f));
        }
    }
}
