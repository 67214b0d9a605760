package io.embedforge.pipeline.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.TrainingExamplesTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataExportTest extends SparkTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    private ExportManifest export(
            String blend, ExportFormat f, int negatives, int min, String name) {
        ExportRequest request =
                new ExportRequest(blend, dir.resolve(name).toString(), f, negatives, min);
        return DataExport.run(spark(), request);
    }

    /** The data files of a folder in name order: the order a reader of the export sees. */
    private static List<Path> files(Path folder, String suffix) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> jsonLines(Path folder) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Path f : files(folder, ".json")) {
            lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
        }
        return lines;
    }

    private static List<Row> parquetRows(Path folder) {
        List<Row> rows = new ArrayList<>();
        for (Path f : files(folder, ".parquet")) {
            rows.addAll(spark().read().parquet(f.toString()).collectAsList());
        }
        return rows;
    }

    /** The blend rows of a stage in export order: (batch_index, example_id). */
    private static List<Row> expected(String stage, int minNegatives) {
        List<Row> rows =
                spark().createDataFrame(ExportTestData.rows(stage), TrainingExamplesTable.SCHEMA)
                        .collectAsList();
        return rows.stream()
                .filter(r -> r.getList(8).size() >= minNegatives)
                .sorted(
                        (a, b) ->
                                a.getLong(13) != b.getLong(13)
                                        ? Long.compare(a.getLong(13), b.getLong(13))
                                        : a.getString(0).compareTo(b.getString(0)))
                .toList();
    }

    @Test
    void sentenceTransformersHasOnlyItsColumnsDropsShortRowsAndCountsThem() throws IOException {
        String blend = ExportTestData.write(spark(), dir, 3);
        ExportManifest m = export(blend, ExportFormat.SENTENCE_TRANSFORMERS, 3, 0, "st");
        Path out = dir.resolve("st");
        for (String stage : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            List<Row> rows = parquetRows(out.resolve(stage));
            List<Row> want = expected(stage, 3);
            assertEquals(
                    List.of("anchor", "positive", "negative_1", "negative_2", "negative_3"),
                    List.of(spark().read().parquet(out.resolve(stage).toString()).columns()));
            assertEquals(want.size(), rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                Row w = want.get(i);
                assertEquals(w.getString(6), r.getString(0), "anchor = pre-instructed query");
                assertEquals(w.getString(7), r.getString(1));
                assertEquals(w.getList(8).subList(0, 3), List.of(r.get(2), r.get(3), r.get(4)));
            }
            StageExport e = m.stages().get(stage);
            int sources = stage.equals(TrainingContract.STAGE1) ? 2 : 4;
            // i % 8 < 3 for i in 0..23: i in {0,1,2,8,9,10,16,17,18} = 9 rows per source
            assertEquals(
                    Map.of(ExportRequest.DROP_FEWER_NEGATIVES, 9L),
                    Map.of(
                            ExportRequest.DROP_FEWER_NEGATIVES,
                            e.dropped().get(ExportRequest.DROP_FEWER_NEGATIVES).get("nq")));
            assertEquals(9L * sources, e.droppedTotal());
            assertEquals((long) ExportTestData.PER_SOURCE * sources, e.rows() + e.droppedTotal());
            // more than 3 negatives: i % 8 in 4..7 = 12 rows per source, cut to the best 3
            assertEquals(12L * sources, e.negativesTruncated());
            List<Row> rejects =
                    spark().read()
                            .parquet(out.resolve("rejects").resolve(stage).toString())
                            .collectAsList();
            assertEquals(9 * sources, rejects.size());
            assertTrue(
                    rejects.stream()
                            .allMatch(
                                    r ->
                                            r.getAs(RejectsTable.REASON)
                                                    .equals(ExportRequest.DROP_FEWER_NEGATIVES)));
        }
        JsonNode manifest = JSON.readTree(out.resolve(DataExport.MANIFEST).toFile());
        assertEquals(15, manifest.at("/stages/stage1/written/nq").asLong());
        assertEquals(9, manifest.at("/stages/stage1/dropped/too_few_negatives/nq").asLong());
    }

    @Test
    void sameRowsInTheSameOrderWhateverThePartitioning() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        String blendA = ExportTestData.write(spark(), a, 1);
        String blendB = ExportTestData.write(spark(), b, 7);
        for (ExportFormat f : List.of(ExportFormat.FLAGEMBEDDING, ExportFormat.TEVATRON)) {
            DataExport.run(
                    spark(), new ExportRequest(blendA, a.resolve(f.id()).toString(), f, 1, 0));
            DataExport.run(
                    spark(), new ExportRequest(blendB, b.resolve(f.id()).toString(), f, 1, 0));
            for (String stage : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
                String folder = DataExport.folder(f, stage);
                List<String> la = jsonLines(a.resolve(f.id()).resolve(folder));
                List<String> lb = jsonLines(b.resolve(f.id()).resolve(folder));
                assertEquals(expected(stage, 0).size(), la.size());
                assertEquals(la, lb, f.id() + " " + stage);
            }
        }
        DataExport.run(
                spark(),
                new ExportRequest(blendA, a.resolve("hf").toString(), ExportFormat.HF, 1, 0));
        DataExport.run(
                spark(),
                new ExportRequest(blendB, b.resolve("hf").toString(), ExportFormat.HF, 1, 0));
        List<Row> ha = parquetRows(a.resolve("hf").resolve(TrainingContract.STAGE2));
        assertEquals(ha, parquetRows(b.resolve("hf").resolve(TrainingContract.STAGE2)));
        assertEquals(expected(TrainingContract.STAGE2, 0), ha);
        assertEquals(
                withoutSizes(Files.readString(a.resolve("hf").resolve(DataExport.README)))
                        .replace(blendA, "B"),
                withoutSizes(Files.readString(b.resolve("hf").resolve(DataExport.README)))
                        .replace(blendB, "B"));
    }

    @Test
    void flagEmbeddingRecordsRebuildTheQueryTextAndMarkStage2() throws IOException {
        String blend = ExportTestData.write(spark(), dir, 2);
        ExportManifest m = export(blend, ExportFormat.FLAGEMBEDDING, 1, 0, "fe");
        assertEquals("stage2-no_in_batch_neg", m.stages().get(TrainingContract.STAGE2).folder());
        List<String> lines = jsonLines(dir.resolve("fe").resolve("stage2-no_in_batch_neg"));
        List<Row> want = expected(TrainingContract.STAGE2, 0);
        assertEquals(want.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode r = JSON.readTree(lines.get(i));
            Row w = want.get(i);
            assertEquals(List.of("query", "pos", "neg", "prompt", "type"), fieldNames(r));
            assertEquals(w.getString(6), r.get("prompt").asText() + r.get("query").asText());
            assertEquals(w.getString(7), r.get("pos").get(0).asText());
            assertEquals(
                    w.getList(8).size(), r.get("neg").size(), "list formats keep every negative");
            String type =
                    switch (w.getString(3)) {
                        case "sts" -> "symmetric_sts";
                        case "classification" -> "symmetric_class";
                        default -> "normal";
                    };
            assertEquals(type, r.get("type").asText());
        }
    }

    @Test
    void tevatronPassagesHaveContentIds() throws Exception {
        String blend = ExportTestData.write(spark(), dir, 2);
        export(blend, ExportFormat.TEVATRON, 1, 2, "tev");
        List<String> lines = jsonLines(dir.resolve("tev").resolve(TrainingContract.STAGE1));
        List<Row> want = expected(TrainingContract.STAGE1, 2);
        assertEquals(want.size(), lines.size());
        JsonNode r = JSON.readTree(lines.get(0));
        assertEquals(
                List.of("query_id", "query", "positive_passages", "negative_passages"),
                fieldNames(r));
        assertEquals(want.get(0).getString(0), r.get("query_id").asText());
        assertEquals(want.get(0).getString(6), r.get("query").asText());
        JsonNode pos = r.get("positive_passages").get(0);
        assertEquals(List.of("docid", "title", "text"), fieldNames(pos));
        String text = want.get(0).getString(7);
        byte[] sha =
                MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(sha).substring(0, 32), pos.get("docid").asText());
        assertEquals(want.get(0).getList(8).size(), r.get("negative_passages").size());
    }

    @Test
    void hfCardNamesOneConfigPerStageWithFeaturesSizesAndLicenses() throws IOException {
        String blend = ExportTestData.write(spark(), dir, 2);
        export(blend, ExportFormat.HF, 1, 0, "hf");
        String card = Files.readString(dir.resolve("hf").resolve(DataExport.README));
        assertTrue(card.startsWith("---\nconfigs:\n- config_name: stage1\n"), card);
        assertTrue(
                card.contains("path: stage1/*.parquet") && card.contains("path: stage2/*.parquet"),
                card);
        assertTrue(card.contains("size_categories:\n- n<1K\n") && !card.contains("splits:"), card);
        long bytes = Files.size(files(dir.resolve("hf/stage1"), ".parquet").get(0));
        assertTrue(bytes > 0 && card.contains("  download_size: "), card);
        assertTrue(
                card.contains("| stage1 | msmarco | 24 | 24 | 0 |")
                        && card.contains("| stage2 | stsb | 24 | 24 | 0 |"),
                card);
        assertTrue(card.contains("- name: negatives\n    list: string"), card);
        assertTrue(
                card.contains("| msmarco | msmarco | MS MARCO terms (non-commercial research) |"),
                card);
        assertTrue(
                card.contains("| stsb | stsbenchmark | " + ExportManifest.LICENSE_UNKNOWN + " |"),
                card);
        assertEquals(
                List.of(spark().read().parquet(dir.resolve("hf/stage1").toString()).columns()),
                TrainingContract.COLUMNS);
    }

    @Test
    void aChangedBlendFolderOrSchemaIsAUserError() throws IOException {
        String blend = ExportTestData.write(spark(), dir, 2);
        Path extra = dir.resolve("blend/stage1/extra");
        spark().createDataFrame(
                        ExportTestData.rows(TrainingContract.STAGE1).subList(0, 1),
                        TrainingExamplesTable.SCHEMA)
                .write()
                .parquet(extra.toString());
        Path copied = dir.resolve("blend/stage1/part-99999-extra.snappy.parquet");
        Files.copy(files(extra, ".parquet").get(0), copied);
        ConfigException e =
                assertThrows(
                        ConfigException.class, () -> export(blend, ExportFormat.HF, 1, 0, "hf"));
        assertTrue(e.getMessage().contains("duplicate example_id"), e.getMessage());
        Files.delete(copied);
        Path lost = files(dir.resolve("blend/stage1"), ".parquet").get(0);
        Files.delete(lost);
        e = assertThrows(ConfigException.class, () -> export(blend, ExportFormat.HF, 1, 0, "hf1"));
        assertTrue(e.getMessage().contains("but its manifest.json says 24"), e.getMessage());

        spark().createDataFrame(
                        ExportTestData.rows(TrainingContract.STAGE1), TrainingExamplesTable.SCHEMA)
                .drop(TrainingContract.POSITIVE)
                .write()
                .parquet(dir.resolve("bad/stage1").toString());
        Files.move(dir.resolve("blend/stage1"), dir.resolve("blend/stage1-orig"));
        Files.move(dir.resolve("bad/stage1"), dir.resolve("blend/stage1"));
        e = assertThrows(ConfigException.class, () -> export(blend, ExportFormat.HF, 1, 0, "hf2"));
        assertTrue(e.getMessage().contains("column 'positive' is missing"), e.getMessage());
    }

    @Test
    void outMustBeNewAndOptionsInRange() throws IOException {
        String blend = ExportTestData.write(spark(), dir, 1);
        Files.createDirectories(dir.resolve("full"));
        Files.writeString(dir.resolve("full/x"), "x");
        ExportRequest r =
                new ExportRequest(blend, dir.resolve("full").toString(), ExportFormat.HF, 1, 0);
        assertThrows(
                ConfigException.class,
                () -> DataExport.check(spark().sparkContext().hadoopConfiguration(), r));
        assertThrows(
                ConfigException.class, () -> new ExportRequest(blend, "o", ExportFormat.HF, 8, 0));
        assertThrows(
                ConfigException.class, () -> new ExportRequest(blend, "o", ExportFormat.HF, 1, -1));
        ConfigException e = assertThrows(ConfigException.class, () -> ExportFormat.named("jsonl"));
        assertTrue(e.getMessage().contains("hf, sentence-transformers, flagembedding, tevatron"));
    }

    /** The card without the Parquet files' sizes, which follow the export's file split. */
    private static String withoutSizes(String card) {
        return card.replaceAll("download_size: \\d+", "download_size: N");
    }

    @Test
    void sizeCategoriesFollowTheHub() {
        assertEquals("n<1K", DatasetCard.sizeCategory(999));
        assertEquals("1K<n<10K", DatasetCard.sizeCategory(1_000));
        assertEquals("10M<n<100M", DatasetCard.sizeCategory(12_345_678));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
