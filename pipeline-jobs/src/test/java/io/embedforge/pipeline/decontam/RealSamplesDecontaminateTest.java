package io.embedforge.pipeline.decontam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.StsTable;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decontamination of the real Banking77, Emotion, AmazonCounterfactual and STS Benchmark samples in
 * {@code ../shared/data} (train against their own test splits, {@code conf/real-samples.yaml}),
 * checked against an independent recomputation in plain Java: the exact drops are exactly the
 * training rows one of whose texts, normalised, is a test text of any source; near duplicates
 * (Emotion and AmazonCounterfactual, the sets NV-Embed filtered by similarity, against their test
 * instances) are found and reach their threshold; every training row is kept or dropped once. Skips
 * when the folder is absent.
 */
@Tag("slow")
class RealSamplesDecontaminateTest extends SparkTestBase {
    private static final List<String> INSTANCES =
            List.of(
                    "banking77",
                    "banking77_test",
                    "emotion",
                    "emotion_test",
                    "amazon_counterfactual",
                    "amazon_counterfactual_test",
                    "stsbenchmark",
                    "stsbenchmark_test");
    private static final double NEAR_THRESHOLD = NearDuplicateRule.THRESHOLD_DEFAULT;
    private static final Pattern JACCARD = Pattern.compile("Jaccard ([0-9.]+)\\)");

    @TempDir static Path out;

    private static DecontamSummary summary;
    private static List<Row> rejects;

    @BeforeAll
    static void ingestAndDecontaminate() {
        assumeTrue(sharedData() != null, "../shared/data is absent: real-sample tests skipped");
        PipelineConfig config =
                ConfigLoader.load(
                                repoRoot().resolve("conf/real-samples.yaml"),
                                ConfigLoader.Overrides.none())
                        .withSources(INSTANCES);
        IngestJob.ingest(StageContext.direct(spark(), config, StageId.INGEST, out.toString()));
        NearDuplicateRule near =
                new NearDuplicateRule(null, NearDuplicateRule.NGRAM_DEFAULT, NEAR_THRESHOLD);
        DecontamParams params =
                new DecontamParams(
                        List.of("test"),
                        List.of("train"),
                        Map.of("emotion", near, "amazon_counterfactual", near),
                        null,
                        null);
        Map<String, String> datasets = new TreeMap<>();
        config.sources().forEach(s -> datasets.put(s.name(), s.dataset()));
        params = params.withEvalSourcesOfSameDataset(datasets);
        summary =
                new Decontaminate()
                        .run(
                                StageContext.direct(
                                        spark(), config, StageId.DECONTAMINATE, out.toString()),
                                params);
        rejects =
                spark().read()
                        .parquet(
                                out.resolve(StageId.DECONTAMINATE.folder())
                                        .resolve(RejectsTable.NAME)
                                        .toString())
                        .collectAsList();
    }

    @Test
    void exactDropsAreTheTrainingRowsWithATestText() {
        Set<String> evalTexts = new HashSet<>();
        Set<String> expected = new TreeSet<>();
        for (boolean eval : new boolean[] {true, false}) {
            for (Row r : table(ClassificationTable.NAME)) {
                collect(
                        r,
                        ClassificationTable.NAME,
                        List.of(ClassificationTable.TEXT),
                        eval,
                        evalTexts,
                        expected);
            }
            for (Row r : table(StsTable.NAME)) {
                collect(
                        r,
                        StsTable.NAME,
                        List.of(StsTable.TEXT_A, StsTable.TEXT_B),
                        eval,
                        evalTexts,
                        expected);
            }
        }
        Set<String> exact = new TreeSet<>();
        for (Row r : rejects) {
            if (Decontaminate.EXACT.equals(r.getAs(RejectsTable.REASON))) {
                exact.add(r.getAs(RejectsTable.LOCATION));
            }
        }
        assertFalse(expected.isEmpty(), "the samples share no text between train and test");
        assertEquals(expected, exact);
    }

    @Test
    void nearDuplicatesReachTheirThresholdAndAreNotExactMatches() {
        int near = 0;
        for (Row r : rejects) {
            if (Decontaminate.NEAR.equals(r.getAs(RejectsTable.REASON))) {
                near++;
                String source = r.getAs(Columns.SOURCE);
                assertTrue(
                        source.equals("emotion") || source.equals("amazon_counterfactual"), source);
                Matcher m = JACCARD.matcher(r.getAs(RejectsTable.DETAIL));
                assertTrue(m.find(), r.toString());
                assertTrue(Double.parseDouble(m.group(1)) >= NEAR_THRESHOLD, r.toString());
            }
        }
        System.out.println("real-sample decontamination, " + near + " near duplicates: " + summary);
        // Emotion has train texts that differ from a test text by a word or two (Jaccard 0.88).
        assertTrue(near >= 2, "near duplicates: " + near);
    }

    @Test
    void everyTrainingRowIsKeptOrDroppedOnce() {
        Map<String, DecontamSummary.TableSource> perSource = summary.perTableSource();
        for (String table : List.of(ClassificationTable.NAME, StsTable.NAME)) {
            Map<String, Long> kept = new TreeMap<>();
            for (Row r :
                    spark().read()
                            .parquet(
                                    out.resolve(StageId.DECONTAMINATE.folder())
                                            .resolve(table)
                                            .toString())
                            .filter("split = 'train'")
                            .groupBy(Columns.SOURCE)
                            .count()
                            .collectAsList()) {
                kept.put(r.getString(0), r.getLong(1));
            }
            Map<String, Long> trainRows = new TreeMap<>();
            for (Row r : table(table)) {
                if ("train".equals(r.getAs(Columns.SPLIT))) {
                    trainRows.merge(r.getAs(Columns.SOURCE), 1L, Long::sum);
                }
            }
            assertFalse(trainRows.isEmpty(), table);
            trainRows.forEach(
                    (source, rows) -> {
                        DecontamSummary.TableSource s = perSource.get(table + "/" + source);
                        long exact = s.exact();
                        long near = s.near();
                        assertEquals(rows, s.trainRows(), table + "/" + source);
                        assertEquals(
                                rows - exact - near,
                                kept.getOrDefault(source, 0L),
                                table + "/" + source);
                        assertEquals(kept.getOrDefault(source, 0L), s.kept());
                    });
        }
    }

    private static List<Row> table(String name) {
        return spark().read()
                .parquet(out.resolve(StageId.INGEST.folder()).resolve(name).toString())
                .collectAsList();
    }

    /** Eval pass: adds the row's test texts; training pass: adds its location if one matches. */
    private static void collect(
            Row r,
            String table,
            List<String> fields,
            boolean evalPass,
            Set<String> evalTexts,
            Set<String> expected) {
        String split = r.getAs(Columns.SPLIT);
        for (String f : fields) {
            String text = TextNormalizer.normalize(r.getAs(f));
            if (text == null || text.isEmpty()) {
                continue;
            }
            if (evalPass && "test".equals(split)) {
                evalTexts.add(text);
            } else if (!evalPass && "train".equals(split) && evalTexts.contains(text)) {
                expected.add(
                        table
                                + "/"
                                + r.getAs(Columns.SOURCE)
                                + "/"
                                + split
                                + "/"
                                + r.getAs(Columns.EXAMPLE_ID));
            }
        }
    }
}
