package io.embedforge.pipeline.blend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.schema.TrainingExamplesTable;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.RuntimeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blend on inline examples: template, stages, dedup, caps, batches, determinism, errors. */
class BlendTest extends SparkTestBase {
    static final Map<String, SourceInfo> SOURCES = BlendTestData.SOURCES;

    Map<String, Dataset<Row>> inputs(int retrievalPerSource, int partitions) {
        return BlendTestData.inputs(spark(), retrievalPerSource, partitions);
    }

    /**
     * Blends with seed 7 into {@code dir/blend/}, with the {@code min_negatives} policy off unless
     * {@code p} sets it: {@link BlendTestData}'s sources carry 1 to 9 negatives on purpose (to test
     * truncation and histograms), and these tests are about dedup, caps and batches; the policy has
     * its own test, with the recipe's defaults.
     */
    static BlendSummary blend(Map<String, Dataset<Row>> in, BlendParams p, Path dir) {
        BlendParams q = p.minNegatives() == null ? Settings.with(p, "min_negatives", 0) : p;
        return Blend.apply(in, SOURCES, Settings.with(q, "seed", 7L), Map.of()).write(context(dir));
    }

    static StageContext context(Path dir) {
        return StageContext.direct(spark(), null, StageId.BLEND, dir.toString());
    }

    /** The folder of a training stage under {@code dir}'s blend output. */
    static Path stage(Path dir, String stage) {
        return dir.resolve(StageId.BLEND.folder()).resolve(stage);
    }

    static List<Row> read(Path dir, String stage) {
        return spark().read()
                .parquet(stage(dir, stage).toString())
                .orderBy(TrainingContract.BATCH_INDEX, TrainingContract.EXAMPLE_ID)
                .collectAsList();
    }

    @Test
    void templateStagesDedupAndTruncation(@TempDir Path dir) {
        BlendSummary s = blend(inputs(50, 3), BlendParams.defaults(), dir);
        List<Row> s1 = read(dir, TrainingContract.STAGE1);
        List<Row> s2 = read(dir, TrainingContract.STAGE2);
        assertEquals(
                TrainingExamplesTable.SCHEMA.fieldNames().length,
                spark().read().parquet(stage(dir, "stage1").toString()).columns().length);
        assertEquals(
                TrainingContract.COLUMNS,
                List.of(spark().read().parquet(stage(dir, "stage2").toString()).columns()));
        // stage1: retrieval only, in-batch on; 50 + 50 rows, the nq duplicate removed
        assertEquals(100, s1.size());
        assertTrue(s1.stream().allMatch(r -> r.<String>getAs("task_type").equals("retrieval")));
        assertTrue(s1.stream().allMatch(r -> r.<Boolean>getAs("in_batch_negatives")));
        // stage2: every source, in-batch off
        assertEquals(100 + 40 + 60, s2.size());
        assertTrue(s2.stream().noneMatch(r -> r.<Boolean>getAs("in_batch_negatives")));
        Map<String, Row> byId =
                s2.stream().collect(Collectors.toMap(r -> r.getAs("example_id"), r -> r));
        Row m0 = byId.get("m0");
        assertEquals("Instruct: Find passages\nQuery: mq0", m0.getAs("query_text"));
        assertEquals("mq0", m0.getAs("query"));
        assertNull(m0.getAs("document_instruction"));
        assertEquals(7, m0.getList(m0.fieldIndex("negatives")).size(), "truncated to 7");
        assertEquals(7, m0.getList(m0.fieldIndex("negative_scores")).size());
        assertEquals("dense", m0.getAs("negative_miner"));
        Row st = byId.get("s0");
        assertEquals("Retrieve similar text.", st.getAs("document_instruction"));
        assertEquals("Instruct: Retrieve similar text.\nQuery: sa0", st.getAs("query_text"));
        assertEquals(
                "Instruct: Identify by titles\nQuery: title 0", byId.get("a0").getAs("query_text"));
        assertEquals("Identify by abstracts", byId.get("b0").getAs("instruction"));
        assertTrue(!byId.containsKey("dup"));
        BlendSummary.TrainingStage st2 = s.stage2();
        Map<String, Map<String, Long>> drops = st2.drops();
        assertEquals(Map.of("nq", 1L), drops.get(BlendSummary.DROP_DUPLICATE));
        assertEquals(50L, s.negativesTruncated());
        Map<String, Long> hist = st2.negativesHistogram();
        assertEquals(Map.of("7", 50L, "3", 50L, "2", 40L, "1", 60L), hist);
        assertEquals(200L, st2.rows());
    }

    @Test
    void capsWeightsAndMixedBatches(@TempDir Path dir) {
        BlendParams p =
                new BlendParams(
                        null,
                        20,
                        7,
                        0L,
                        null,
                        null,
                        null,
                        Map.of(
                                "msmarco",
                                new BlendParams.SourceMix(30L, null, null, null),
                                "nq",
                                new BlendParams.SourceMix(null, 0.5, null, null)));
        BlendSummary s = blend(inputs(100, 2), p, dir);
        List<Row> s2 = read(dir, TrainingContract.STAGE2);
        Map<String, Long> bySource =
                s2.stream()
                        .collect(
                                Collectors.groupingBy(
                                        r -> r.<String>getAs("source"),
                                        TreeMap::new,
                                        Collectors.counting()));
        assertEquals(Map.of("msmarco", 30L, "nq", 50L, "stsb", 40L, "arxiv", 60L), bySource);
        Map<String, Map<String, Long>> drops = s.stage2().drops();
        assertEquals(Map.of("msmarco", 70L, "nq", 50L), drops.get(BlendSummary.DROP_OVER_CAP));
        // batches: consecutive numbers, full except the last, and mixing sources
        Map<Long, List<Row>> batches =
                s2.stream()
                        .collect(
                                Collectors.groupingBy(
                                        r -> r.<Long>getAs("batch_index"),
                                        TreeMap::new,
                                        Collectors.toList()));
        assertEquals(9, batches.size());
        long b = 0;
        int mixed = 0;
        for (Map.Entry<Long, List<Row>> e : batches.entrySet()) {
            assertEquals(b++, e.getKey());
            if (e.getKey() < 8) {
                assertEquals(20, e.getValue().size());
            }
            Set<String> sources = new HashSet<>();
            e.getValue().forEach(r -> sources.add(r.getAs("source")));
            if (sources.size() >= 3) {
                mixed++;
            }
        }
        assertTrue(mixed >= 7, "batches mixing >= 3 sources: " + mixed);
    }

    @Test
    void duplicatesAreDecidedPerStage(@TempDir Path dir) {
        Map<String, Dataset<Row>> in = inputs(20, 3);
        // arxiv (stage 2 only) sorts before msmarco: m1 is a duplicate in stage 2, not in stage 1;
        // a duplicate within nq is dropped from both stages
        in.put(
                "label-negatives",
                in.get("label-negatives")
                        .union(
                                spark().createDataFrame(
                                                List.of(
                                                        BlendTestData.lab(
                                                                "arxiv", "x1", "mq1", "mp1",
                                                                "title")),
                                                BlendTestData.LABEL_SCHEMA)));
        in.put(
                "mine-dense",
                in.get("mine-dense")
                        .union(
                                spark().createDataFrame(
                                                List.of(
                                                        BlendTestData.ex(
                                                                "nq",
                                                                "n1b",
                                                                "retrieval",
                                                                "nq1",
                                                                "np1",
                                                                1,
                                                                "dense")),
                                                in.get("mine-dense").schema())));
        BlendSummary s = blend(in, BlendParams.defaults(), dir);
        Map<String, Map<String, Long>> drops1 = s.stage1().drops();
        Map<String, Map<String, Long>> drops2 = s.stage2().drops();
        assertEquals(Map.of("nq", 2L), drops1.get(BlendSummary.DROP_DUPLICATE));
        assertEquals(Map.of("msmarco", 1L, "nq", 2L), drops2.get(BlendSummary.DROP_DUPLICATE));
        Set<Object> ids1 =
                read(dir, "stage1").stream()
                        .map(r -> r.getAs("example_id"))
                        .collect(Collectors.toSet());
        Set<Object> ids2 =
                read(dir, "stage2").stream()
                        .map(r -> r.getAs("example_id"))
                        .collect(Collectors.toSet());
        assertTrue(ids1.contains("m1") && ids1.contains("n1") && !ids1.contains("n1b"));
        assertTrue(!ids2.contains("m1") && ids2.contains("x1") && ids2.contains("n1"));
        assertTrue(!ids2.contains("n1b"));
    }

    @Test
    void everyRowIsCountedOnce(@TempDir Path dir) {
        BlendParams p =
                new BlendParams(
                        null,
                        16,
                        7,
                        45L,
                        null,
                        null,
                        null,
                        Map.of("arxiv", new BlendParams.SourceMix(null, 0.5, null, null)));
        BlendSummary s = blend(inputs(60, 3), p, dir);
        Map<String, Long> rowsIn = s.rowsIn();
        Map<String, Map<String, Long>> byInput = s.rowsInByInput();
        assertEquals(
                rowsIn.values().stream().mapToLong(Long::longValue).sum(),
                byInput.values().stream()
                        .flatMap(m -> m.values().stream())
                        .mapToLong(Long::longValue)
                        .sum());
        assertEquals(
                60L + 61L + 40L + 60L, rowsIn.values().stream().mapToLong(Long::longValue).sum());
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            BlendSummary.TrainingStage stage = s.stage(st);
            Map<String, Long> in = stage.rowsIn();
            Map<String, Long> out = stage.rowsOut();
            Map<String, Map<String, Long>> drops = stage.drops();
            for (Map.Entry<String, Long> e : in.entrySet()) {
                long dropped =
                        drops.values().stream()
                                .mapToLong(m -> m.getOrDefault(e.getKey(), 0L))
                                .sum();
                assertEquals(
                        e.getValue(),
                        out.getOrDefault(e.getKey(), 0L) + dropped,
                        st + " " + e.getKey());
            }
            if (st.equals(TrainingContract.STAGE2)) {
                assertEquals(rowsIn, in, "every input row is in stage 2");
            }
            List<Row> rows = read(dir, st);
            Map<String, Long> written =
                    rows.stream()
                            .collect(
                                    Collectors.groupingBy(
                                            r -> r.<String>getAs("source"),
                                            TreeMap::new,
                                            Collectors.counting()));
            assertEquals(written, out, st);
            assertEquals((long) rows.size(), stage.rows());
            Map<String, Long> hist = stage.negativesHistogram();
            assertEquals(
                    (long) rows.size(), hist.values().stream().mapToLong(Long::longValue).sum());
            assertEquals(rows.get(rows.size() - 1).<Long>getAs("batch_index") + 1, stage.batches());
            assertEquals(st, stage.path(), "path relative to the blend folder");
        }
    }

    @Test
    void identicalRowsWhateverThePartitioning(@TempDir Path dir) throws IOException {
        blend(inputs(60, 1), BlendParams.defaults(), dir.resolve("a"));
        // 7 shuffle partitions that adaptive execution may not merge: several part files
        RuntimeConfig conf = spark().conf();
        String partitions = conf.get("spark.sql.shuffle.partitions");
        String coalesce = conf.get("spark.sql.adaptive.coalescePartitions.enabled");
        try {
            conf.set("spark.sql.shuffle.partitions", "7");
            conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false");
            blend(inputs(60, 7), BlendParams.defaults(), dir.resolve("b"));
        } finally {
            conf.set("spark.sql.shuffle.partitions", partitions);
            conf.set("spark.sql.adaptive.coalescePartitions.enabled", coalesce);
        }
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            List<String> a = read(dir.resolve("a"), st).stream().map(Row::toString).toList();
            List<String> bb = read(dir.resolve("b"), st).stream().map(Row::toString).toList();
            assertEquals(a, bb, st);
            // files in name order hold the batches in order, as the trainer reads them
            List<Path> files;
            try (Stream<Path> ls = Files.list(stage(dir.resolve("b"), st))) {
                files = ls.filter(f -> f.toString().endsWith(".parquet")).sorted().toList();
            }
            assertTrue(files.size() > 1, st + " part files: " + files);
            long last = -1;
            for (Path f : files) {
                for (Row r :
                        spark().read()
                                .parquet(f.toString())
                                .select(TrainingContract.BATCH_INDEX)
                                .collectAsList()) {
                    assertTrue(r.getLong(0) >= last, st + " " + f);
                    last = r.getLong(0);
                }
            }
        }
        // another seed gives another order
        BlendSummary other =
                Blend.apply(
                                inputs(60, 1),
                                SOURCES,
                                Settings.with(BlendParams.defaults(), "seed", 8L),
                                Map.of())
                        .write(context(dir.resolve("c")));
        assertEquals(8L, other.seed());
        List<Object> ca =
                read(dir.resolve("a"), "stage2").stream()
                        .map(r -> r.getAs("example_id"))
                        .collect(Collectors.toList());
        List<Object> cc =
                read(dir.resolve("c"), "stage2").stream()
                        .map(r -> r.getAs("example_id"))
                        .collect(Collectors.toList());
        assertTrue(!ca.equals(cc));
    }

    @Test
    void badInputsNameStageAndPath(@TempDir Path dir) {
        String out = dir.toString();
        BlendException missing =
                assertThrows(
                        BlendException.class,
                        () ->
                                new Blend()
                                        .run(
                                                StageContext.direct(
                                                        spark(), null, StageId.BLEND, out),
                                                BlendParams.defaults()));
        assertTrue(missing.getMessage().contains("mine-dense"), missing.getMessage());
        assertTrue(
                missing.getMessage().contains(out + "/mine-dense/examples"), missing.getMessage());

        Map<String, Dataset<Row>> in = inputs(5, 1);
        in.put("mine-bm25", in.get("mine-bm25").drop("negative_miner"));
        BlendException cols =
                assertThrows(
                        BlendException.class,
                        () ->
                                Blend.apply(
                                        in,
                                        SOURCES,
                                        BlendParams.defaults(),
                                        Map.of("mine-bm25", "/x/mine-bm25/examples")));
        assertTrue(
                cols.getMessage().contains("mine-bm25")
                        && cols.getMessage().contains("/x/mine-bm25/examples")
                        && cols.getMessage().contains("[negative_miner]"),
                cols.getMessage());

        Map<String, Dataset<Row>> noRetrieval = inputs(5, 1);
        noRetrieval.put("mine-dense", noRetrieval.get("mine-dense").limit(0));
        BlendException empty =
                assertThrows(
                        BlendException.class,
                        () ->
                                Blend.apply(
                                                noRetrieval,
                                                SOURCES,
                                                BlendParams.defaults(),
                                                Map.of("mine-dense", "/x/mine-dense/examples"))
                                        .write(context(dir.resolve("e"))));
        assertTrue(
                empty.getMessage().contains("stage1")
                        && empty.getMessage().contains("/x/mine-dense/examples"),
                empty.getMessage());

        Map<String, SourceInfo> fewer = new HashMap<>(SOURCES);
        fewer.remove("stsb");
        BlendException unknown =
                assertThrows(
                        BlendException.class,
                        () -> Blend.apply(inputs(5, 1), fewer, BlendParams.defaults(), Map.of()));
        assertTrue(unknown.getMessage().contains("'stsb'"), unknown.getMessage());
    }

    @Test
    void paramsAreChecked() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new BlendParams(null, 0, null, null, null, null, null, null));
        assertEquals("stages.blend.batch_size=0 must be in [1, 1000000]", e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new BlendParams(null, null, 8, null, null, null, null, null));
        assertEquals("stages.blend.negatives=8 must be in [0, 7]", e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new BlendParams.SourceMix(null, 1.5, null, null));
        assertEquals("stages.blend.sources.*.weight=1.5 must be in (0, 1]", e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new BlendParams(null, null, null, null, null, 8, null, null));
        assertEquals(
                "stages.blend.min_negatives=8 must be in [0, 7] (or absent: per task type)",
                e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new BlendParams.SourceMix(null, null, -1, null));
        assertEquals(
                "stages.blend.sources.*.min_negatives=-1 must be in [0, 7] (or absent: per task"
                        + " type)",
                e.getMessage());
        // The recipe's defaults: 7 for retrieval and STS, the data's for label sources; at most
        // negatives; a source's setting wins.
        BlendParams d = BlendParams.defaults();
        assertEquals(7, d.minNegatives("nq", "retrieval"));
        assertEquals(7, d.minNegatives("stsb", "sts"));
        assertNull(d.minNegatives("arxiv", "clustering"));
        assertEquals(3, Settings.with(d, "negatives", 3).minNegatives("nq", "retrieval"));
        BlendParams o = Settings.with(d, "sources", Map.of("nq", Map.of("min_negatives", 2)));
        assertEquals(2, o.minNegatives("nq", "retrieval"));
        assertEquals(7, o.minNegatives("msmarco", "retrieval"));
    }

    @Test
    void rowsBelowMinNegativesAreDroppedCountedAndRejected(@TempDir Path dir) {
        Map<String, Dataset<Row>> in = inputs(50, 3);
        // A clustering row without negatives: below its source's 1 (the most any arxiv row has).
        Row empty =
                RowFactory.create(
                        "arxiv",
                        "train",
                        "a-none",
                        "clustering",
                        "title none",
                        "cs.CL",
                        List.of(),
                        List.of(),
                        List.of(),
                        "label",
                        "title");
        in.put(
                "label-negatives",
                in.get("label-negatives")
                        .union(
                                spark().createDataFrame(
                                                List.of(empty), BlendTestData.LABEL_SCHEMA)));
        BlendSummary s =
                Blend.apply(
                                in,
                                SOURCES,
                                Settings.with(BlendParams.defaults(), "seed", 7L),
                                Map.of())
                        .write(context(dir));
        BlendSummary.NegativesPolicy policy = s.negativesPolicy();
        assertEquals(
                Map.of("msmarco", 7L, "nq", 7L, "stsb", 7L, "arxiv", 1L), policy.minNegatives());
        assertEquals(
                Map.of("msmarco", 0L, "nq", 51L, "stsb", 40L, "arxiv", 1L),
                policy.tooFewNegatives());
        assertEquals(Map.of("7", 50L), policy.negativesPerRow().get("msmarco"));
        assertEquals(Map.of("2", 1L, "3", 50L), policy.negativesPerRow().get("nq"));
        assertEquals(Map.of("0", 1L, "1", 60L), policy.negativesPerRow().get("arxiv"));
        assertEquals(
                Map.of("nq", 51L), s.stage1().drops().get(BlendSummary.DROP_TOO_FEW_NEGATIVES));
        assertEquals(
                Map.of("nq", 51L, "stsb", 40L, "arxiv", 1L),
                s.stage2().drops().get(BlendSummary.DROP_TOO_FEW_NEGATIVES));
        assertEquals(50L, s.stage1().rows());
        assertEquals(50L + 60L, s.stage2().rows());
        assertTrue(
                read(dir, "stage2").stream()
                        .allMatch(r -> r.getList(r.fieldIndex("negatives")).size() >= 1));
        List<Row> rejects =
                spark().read()
                        .parquet(dir.resolve("blend").resolve("rejects").toString())
                        .collectAsList();
        assertEquals(92, rejects.size());
        Row none =
                rejects.stream()
                        .filter(r -> r.getAs("location").equals("example_id=a-none"))
                        .findFirst()
                        .orElseThrow();
        assertEquals("blend", none.getAs("stage"));
        assertEquals("label-negatives", none.getAs("input"));
        assertEquals(BlendSummary.DROP_TOO_FEW_NEGATIVES, none.getAs("reason"));
        assertEquals("0 negatives < min_negatives=1 of source arxiv", none.getAs("detail"));

        // A source's own minimum: nq keeps its 3-negative rows, its 2-negative duplicate goes.
        BlendSummary t =
                blend(
                        inputs(50, 3),
                        Settings.with(
                                BlendParams.defaults(),
                                "sources",
                                Map.of(
                                        "nq", Map.of("min_negatives", 3),
                                        "stsb", Map.of("min_negatives", 2))),
                        dir.resolve("t"));
        assertEquals(Map.of("nq", 1L), t.stage1().drops().get(BlendSummary.DROP_TOO_FEW_NEGATIVES));
        assertEquals(100L, t.stage1().rows());
        assertEquals(100L + 40L + 60L, t.stage2().rows());
    }
}
