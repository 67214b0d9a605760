package io.embedforge.pipeline.export;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.schema.TrainingExamplesTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A blend output written in the contract for export tests: stage 1 with two retrieval sources,
 * stage 2 with those plus an STS source (document instruction) and a classification source; row
 * {@code i} has {@code i % 8} negatives (0 to 7), so every negatives policy drops some rows. Rows
 * are shuffled with a fixed seed before batch numbers are given, and written in {@code partitions}
 * files, so tests can check that the export does not depend on the blend's file layout.
 */
final class ExportTestData {
    static final int PER_SOURCE = 24;
    static final int BATCH = 8;

    private ExportTestData() {}

    /** Writes {@code <dir>/blend/} (stages and manifest); returns the blend folder. */
    static String write(SparkSession spark, Path dir, int partitions) {
        String blend = dir.resolve("blend").toString();
        Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        for (String stage : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            List<Row> rows = rows(stage);
            spark.createDataFrame(rows, TrainingExamplesTable.SCHEMA)
                    .repartition(partitions)
                    .write()
                    .parquet(blend + "/" + stage);
            Map<String, Long> perSource = new TreeMap<>();
            rows.forEach(r -> perSource.merge(r.getString(2), 1L, Long::sum));
            counts.put(stage, perSource);
        }
        writeManifest(spark.sparkContext().hadoopConfiguration(), blend, counts);
        return blend;
    }

    static List<Row> rows(String stage) {
        boolean one = TrainingContract.STAGE1.equals(stage);
        List<String[]> sources = new ArrayList<>();
        sources.add(
                new String[] {
                    "msmarco", "retrieval", "Given a web search query, retrieve passages"
                });
        sources.add(
                new String[] {"nq", "retrieval", "Given a question, retrieve Wikipedia passages"});
        if (!one) {
            sources.add(new String[] {"stsb", "sts", "Retrieve semantically similar text."});
            sources.add(
                    new String[] {"banking77", "classification", "Classify the banking intent"});
        }
        List<Object[]> values = new ArrayList<>();
        for (String[] s : sources) {
            for (int i = 0; i < PER_SOURCE; i++) {
                values.add(row(stage, s[0], s[1], s[2], i, one));
            }
        }
        Collections.shuffle(values, new Random(7));
        List<Row> rows = new ArrayList<>();
        for (int p = 0; p < values.size(); p++) {
            values.get(p)[13] = (long) (p / BATCH);
            rows.add(RowFactory.create(values.get(p)));
        }
        return rows;
    }

    private static Object[] row(
            String stage, String source, String task, String instruction, int i, boolean inBatch) {
        String query = source + " query " + i + " \"quoted\" é";
        List<String> negatives = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (int k = 0; k < i % 8; k++) {
            negatives.add(source + " negative " + i + "." + k);
            scores.add(task.equals("classification") ? null : 0.9 - k / 10.0);
        }
        return new Object[] {
            String.format("%s-%04d", source, i),
            stage,
            source,
            task,
            instruction,
            query,
            TrainingContract.queryText(instruction, query),
            source + " positive " + i,
            negatives,
            scores,
            task.equals("classification") ? "label" : "dense",
            task.equals("sts") ? instruction : null,
            inBatch,
            0L
        };
    }

    private static void writeManifest(
            Configuration conf, String blend, Map<String, Map<String, Long>> counts) {
        Map<String, BlendSummary.TrainingStage> stages = new LinkedHashMap<>();
        counts.forEach(
                (stage, perSource) ->
                        stages.put(
                                stage,
                                new BlendSummary.TrainingStage(
                                        stage.equals(TrainingContract.STAGE1),
                                        perSource,
                                        Map.of(),
                                        perSource,
                                        stage,
                                        perSource,
                                        perSource.values().stream()
                                                .mapToLong(Long::longValue)
                                                .sum(),
                                        Map.of(),
                                        0)));
        BlendSummary summary =
                new BlendSummary(
                        42,
                        Map.of(),
                        Map.of(),
                        counts.get(TrainingContract.STAGE2),
                        0,
                        null,
                        stages.get(TrainingContract.STAGE1),
                        stages.get(TrainingContract.STAGE2));
        ObjectNode manifest = ManifestWriter.mapper().createObjectNode();
        manifest.put("profile", "export-test");
        manifest.put("seed", 42);
        ObjectNode section = manifest.putObject(BlendFolder.SECTION);
        section.put("fingerprint", "f00d");
        section.set("result", ManifestWriter.mapper().valueToTree(summary));
        ObjectNode sources = manifest.putObject("config").putObject("sources");
        sources.putObject("msmarco").put("license", "MS MARCO terms (non-commercial research)");
        sources.putObject("stsb").put("source", "stsbenchmark");
        ManifestWriter.write(conf, blend + "/" + ManifestWriter.FILE_NAME, manifest);
    }
}
