package io.embedforge.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageReaderTest {

    @TempDir Path dir;

    /**
     * docs/contract.md: for symmetric sources (STS) the trainer puts {@code document_instruction}
     * on the positive and the negatives too (NV-Embed instructs both sides of STS); other rows'
     * documents stay plain.
     */
    @Test
    void stsDocumentsCarryTheDocumentInstruction() throws IOException {
        String sts = "Retrieve semantically similar text.";
        ContractParquet.write(
                dir.resolve("part-0.parquet"),
                List.of(
                        new ContractParquet.Row(
                                "sts-1",
                                2,
                                "a cat sits",
                                "a cat is sitting",
                                List.of("dogs"),
                                0,
                                sts),
                        new ContractParquet.Row(
                                "ret-1", 2, "what is x", "x is y", List.of("z"), 0)));
        try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
            List<io.embedforge.train.tokenize.EmbeddingInput> seqs =
                    io.embedforge.train.loss.ContrastiveBatch.of(r.next()).sequences();
            // queries (2), then sts positive + negative, then retrieval positive + negative
            assertEquals(6, seqs.size());
            String prefix = "Instruct: " + sts + "\nQuery: ";
            assertEquals(prefix + "a cat is sitting", seqs.get(2).formatted());
            assertEquals(prefix + "dogs", seqs.get(3).formatted());
            assertEquals(prefix, seqs.get(3).prefix());
            assertEquals("x is y", seqs.get(4).formatted());
            assertEquals("", seqs.get(5).prefix());
        }
    }

    @Test
    void mergesPartFilesInBatchOrderWithRaggedNegatives() throws IOException {
        ContractParquet.writeStage(dir, 1, 6, 5, 3);
        List<Long> order = new ArrayList<>();
        int rows = 0;
        try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
            while (r.hasNext()) {
                TrainingBatch b = r.next();
                order.add(b.batchIndex());
                assertEquals(5, b.examples().size());
                for (TrainingExample e : b.examples()) {
                    int i = Integer.parseInt(e.exampleId().substring(3));
                    assertEquals(i % 8, e.negatives().size(), "negatives are not padded");
                    assertTrue(e.queryText().startsWith("Instruct: "));
                    assertTrue(e.inBatchNegatives());
                    rows++;
                }
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), order);
        assertEquals(30, rows);
        assertEquals(6, StageReader.countBatches(dir));
    }

    @Test
    void resumeSkipsTrainedBatches() throws IOException {
        ContractParquet.writeStage(dir, 2, 4, 3, 2);
        try (StageReader r = new StageReader(dir, 1)) {
            assertEquals(2, r.next().batchIndex());
            assertEquals(3, r.next().batchIndex());
            assertTrue(!r.hasNext());
        }
    }

    @Test
    void interleavedFilesAreMerged() throws IOException {
        ContractParquet.write(
                dir.resolve("a.parquet"), List.of(row("a0", 0), row("a2", 2), row("a3", 3)));
        ContractParquet.write(dir.resolve("b.parquet"), List.of(row("b1", 1), row("b2", 2)));
        List<String> ids = new ArrayList<>();
        try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
            while (r.hasNext()) {
                r.next().examples().forEach(e -> ids.add(e.exampleId()));
            }
        }
        assertEquals(List.of("a0", "b1", "a2", "b2", "a3"), ids);
    }

    @Test
    void unsortedFileIsRejectedNamingFileAndRow() throws IOException {
        ContractParquet.write(dir.resolve("x.parquet"), List.of(row("a", 3), row("b", 1)));
        ContractException e = assertThrows(ContractException.class, () -> drain(dir));
        assertTrue(e.getMessage().contains("x.parquet row 1"), e.getMessage());
    }

    @Test
    void emptyPositiveIsRejected() throws IOException {
        ContractParquet.write(
                dir.resolve("p.parquet"),
                List.of(row("ok", 0), new ContractParquet.Row("bad", 1, "q", " ", List.of(), 0)));
        ContractException e = assertThrows(ContractException.class, () -> drain(dir));
        assertTrue(e.getMessage().contains("p.parquet row 1"), e.getMessage());
        assertTrue(e.getMessage().contains("bad has an empty positive"), e.getMessage());
    }

    @Test
    void tooManyNegativesAreRejected() throws IOException {
        List<String> eight = List.of("1", "2", "3", "4", "5", "6", "7", "8");
        ContractParquet.write(
                dir.resolve("n.parquet"),
                List.of(new ContractParquet.Row("many", 1, "q", "p", eight, 0)));
        ContractException e = assertThrows(ContractException.class, () -> drain(dir));
        assertTrue(e.getMessage().contains("8 negatives, at most 7"), e.getMessage());
    }

    @Test
    void missingColumnIsNamed() throws IOException {
        Types.MessageTypeBuilder b = Types.buildMessage();
        ContractParquet.SCHEMA.getFields().stream()
                .filter(f -> !f.getName().equals("positive"))
                .forEach(b::addField);
        MessageType noPositive = b.named("spark_schema");
        ContractParquet.write(dir.resolve("m.parquet"), List.of(row("a", 0)), noPositive);
        ContractException e = assertThrows(ContractException.class, () -> drain(dir));
        assertTrue(
                e.getMessage().contains("m.parquet lacks contract column(s) [positive]"),
                e.getMessage());
    }

    @Test
    void emptyStageIsAnError() throws IOException {
        ContractException none = assertThrows(ContractException.class, () -> drain(dir));
        assertTrue(none.getMessage().contains("no .parquet files"));
        ContractParquet.write(dir.resolve("e.parquet"), List.of());
        ContractException empty = assertThrows(ContractException.class, () -> drain(dir));
        assertTrue(empty.getMessage().contains("is empty"), empty.getMessage());
        assertThrows(IOException.class, () -> drain(dir.resolve("nope")));
        assertTrue(Files.exists(dir.resolve("e.parquet")));
    }

    private static ContractParquet.Row row(String id, long batch) {
        return new ContractParquet.Row(id, 1, "q " + id, "p " + id, List.of("n " + id), batch);
    }

    private static void drain(Path d) throws IOException {
        try (StageReader r = new StageReader(d, Long.MIN_VALUE)) {
            while (r.hasNext()) {
                r.next();
            }
        }
    }
}
