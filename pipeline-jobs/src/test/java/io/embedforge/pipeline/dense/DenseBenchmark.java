package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.embedforge.encoder.EncoderConfig;
import io.embedforge.encoder.PyTorchThreads;
import io.embedforge.encoder.TextEncoder;
import io.embedforge.pipeline.BenchReport;
import io.embedforge.pipeline.ChildJvm;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.schema.CorpusTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.stage.Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * Speed of the dense stage, run by hand (Surefire's default includes skip {@code *Benchmark}):
 *
 * <pre>
 * mvn -o -q -pl pipeline-jobs -am test -Dtest=DenseBenchmark -Dembedforge.bench=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * Without {@code -Dembedforge.bench=true} it is skipped, so {@code -Dtest='Dense*'} stays fast;
 * {@code -Dbench.encode.only=true} stops after the encoding rounds.
 *
 * <p>Prints a Markdown table (also written to {@code target/dense-benchmark.md}): encoding
 * throughput of the Spark stage vs a plain single-JVM DJL loop with the same model, batch size and
 * threads; float32 matrix-product peak of the PyTorch engine vs the block scorer and the whole
 * blocked Spark search. Texts: the first distinct SNLI dev hypotheses from {@code ../shared/data}.
 */
class DenseBenchmark extends SparkTestBase {
    private static final int TEXTS = Integer.getInteger("bench.texts", 2048);
    private static final int ENCODE_ROUNDS = Integer.getInteger("bench.encode.rounds", 2);
    private static final int SEARCH_ROUNDS = Integer.getInteger("bench.search.rounds", 3);
    private static final int BATCH = Integer.getInteger("bench.batch", 32);
    private static final int THREADS = Integer.getInteger("bench.threads", 2);
    private final BenchReport report = new BenchReport();

    private void line(String format, Object... args) {
        report.line(format, args);
    }

    @Test
    void benchmark() throws Exception {
        assumeTrue(
                Boolean.getBoolean("embedforge.bench"), "benchmarks need -Dembedforge.bench=true");
        Path data = sharedData();
        assumeTrue(data != null, "no shared data");
        List<String> texts = snliTexts(data, TEXTS);
        EncoderConfig cfg =
                EncoderConfig.defaults().withBatchSize(BATCH).withIntraOpThreads(THREADS);
        line("| measure | value |");
        line("|---|---|");
        line("| texts (distinct SNLI dev hypotheses) | %d |", texts.size());
        line("| batch size / intra-op threads | %d / %d |", BATCH, THREADS);

        // 1. Encoding: plain loop vs the Spark stage, same model, batch and threads, model warm,
        // rounds interleaved. The stage runs with its default threads (intra_op_threads 0: each of
        // the 2 tasks runs its passes on 1 thread, side by side) and, for comparison, with the
        // plain loop's 2 threads per pass (passes one at a time).
        StructType schema =
                new StructType()
                        .add(DenseEmbedder.KIND, DataTypes.StringType)
                        .add(DenseEmbedder.TEXT_ID, DataTypes.StringType)
                        .add(DenseEmbedder.TEXT, DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        for (String t : texts) {
            rows.add(RowFactory.create(DenseEmbedder.PASSAGE, StableIds.of(t), t));
        }
        Dataset<Row> input = spark().createDataFrame(rows, schema).repartition(2).cache();
        input.count();
        EncoderConfig perTask = cfg.withIntraOpThreads(0);
        double[] best = new double[6];
        try (TextEncoder encoder = TextEncoder.load(cfg)) {
            encoder.encodePassages(texts.subList(0, 64));
            for (EncoderConfig c : List.of(cfg, perTask)) {
                DenseEmbedder.encode(input.limit(64), c, DenseParams.ENCODE_CHUNK_DEFAULT)
                        .write()
                        .format("noop")
                        .mode("overwrite")
                        .save();
            }
            for (int round = 1; round <= ENCODE_ROUNDS; round++) {
                long c0 = BenchReport.cpu();
                long t0 = System.nanoTime();
                for (int i = 0; i < texts.size(); i += DenseParams.ENCODE_CHUNK_DEFAULT) {
                    encoder.encodePassages(
                            texts.subList(
                                    i,
                                    Math.min(texts.size(), i + DenseParams.ENCODE_CHUNK_DEFAULT)));
                }
                double[] rates = new double[6];
                rates[0] = texts.size() / ((System.nanoTime() - t0) / 1e9);
                rates[1] = texts.size() / ((BenchReport.cpu() - c0) / 1e9);
                int k = 2;
                for (EncoderConfig c : List.of(perTask, cfg)) {
                    long c1 = BenchReport.cpu();
                    long t1 = System.nanoTime();
                    DenseEmbedder.encode(input, c, DenseParams.ENCODE_CHUNK_DEFAULT)
                            .write()
                            .format("noop")
                            .mode("overwrite")
                            .save();
                    rates[k++] = texts.size() / ((System.nanoTime() - t1) / 1e9);
                    rates[k++] = texts.size() / ((BenchReport.cpu() - c1) / 1e9);
                }
                line(
                        "| round %d, texts per wall s / per CPU s: plain DJL loop (%d threads per"
                                + " pass) / stage, 2 tasks x 1 thread (default) / stage, %d"
                                + " threads per pass | %.1f / %.1f, %.1f / %.1f, %.1f / %.1f |",
                        round, THREADS, THREADS, rates[0], rates[1], rates[2], rates[3], rates[4],
                        rates[5]);
                for (int i = 0; i < best.length; i++) {
                    best[i] = Math.max(best[i], rates[i]);
                }
            }
        }
        line(
                "| encoding, plain DJL loop, best round: texts per wall s / per CPU s | %.1f /"
                        + " %.1f |",
                best[0], best[1]);
        line(
                "| encoding, Spark stage local[2] (default threads), best round: texts per wall s"
                        + " / per CPU s | %.1f / %.1f |",
                best[2], best[3]);
        line(
                "| ratio stage / plain, best rounds: wall / CPU (stage at %d threads per pass) |"
                        + " %.2f / %.2f (%.2f / %.2f) |",
                THREADS,
                best[2] / best[0],
                best[3] / best[1],
                best[4] / best[0],
                best[5] / best[1]);

        if (Boolean.getBoolean("bench.encode.only")) {
            report.write(Paths.get("target", "dense-benchmark.md"));
            return;
        }

        // 2. Scoring: PyTorch float32 matmul peak vs the block scorer vs the Spark search. The peak
        // is the best of the search's tile shape (tile rows x one candidate block) and a square
        // 4096 x 4096 product, so a tile shape the engine handles badly cannot inflate the ratio.
        int dim = 384;
        int queryBlock = Integer.getInteger("bench.query.block", DenseParams.QUERY_BLOCK_DEFAULT);
        int corpusBlock =
                Integer.getInteger("bench.corpus.block", DenseParams.CORPUS_BLOCK_DEFAULT);
        int nq = Math.min(queryBlock, Math.max(1, BlockScorer.SCORE_TILE / corpusBlock));
        int nc = corpusBlock;
        Random rnd = new Random(1);
        float[] q = randomVectors(rnd, nq, dim);
        float[] c = randomVectors(rnd, nc, dim);
        double flops = 2.0 * nq * nc * dim;
        PyTorchThreads.set(THREADS);
        MatmulPeak peak = new MatmulPeak(rnd, dim, new int[][] {{nq, nc}, {4096, 4096}});
        peak.measure(6);
        String[] ids = new String[nc];
        for (int i = 0; i < nc; i++) {
            ids[i] = "d" + i;
        }
        double scorer = 0;
        double scorerCpu = 0;
        for (int rep = 0; rep < 4; rep++) {
            long cc = BenchReport.cpu();
            long t = System.nanoTime();
            BlockScorer.topK(q, nq, c, nc, dim, ids, 50, THREADS, null);
            scorer = Math.max(scorer, flops / (System.nanoTime() - t));
            scorerCpu = Math.max(scorerCpu, flops / (BenchReport.cpu() - cc));
        }
        line(
                "| float32 matmul peak, PyTorch engine, best of %dx%d·%dx%d and 4096x%d·%dx4096"
                        + " (wall best at %s): GFLOP per wall s / per CPU s | %.1f / %.1f |",
                nq, dim, dim, nc, dim, dim, peak.shape, peak.wall, peak.cpu);
        line(
                "| block scorer, matmul + top-50 per row: GFLOP per wall s / per CPU s"
                        + " | %.1f (%.0f%% of peak) / %.1f (%.0f%% of peak) |",
                scorer, 100 * scorer / peak.wall, scorerCpu, 100 * scorerCpu / peak.cpu);

        int sq = Integer.getInteger("bench.search.queries", 8192);
        int sc = Integer.getInteger("bench.search.corpus", 65536);
        Dataset<Row> qs = SearchMemoryProbe.vectors(spark(), "q", sq, dim).cache();
        Dataset<Row> cs = SearchMemoryProbe.vectors(spark(), "d", sc, dim).cache();
        qs.count();
        cs.count();
        // Warm rounds like the peak and the scorer above: the first also pays plan code
        // generation and the JIT of the search path. The peak is measured again before every
        // round, so that the machine's drift during the rounds (other tenants, clocks) moves the
        // baseline too; the ratio is best search over best peak of the whole run.
        double search = 0;
        double searchCpu = 0;
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < SEARCH_ROUNDS; round++) {
            double peakBefore = peak.measure(2);
            long c2 = BenchReport.cpu();
            long t2 = System.nanoTime();
            BlockedSearch.search(qs, cs, 50, queryBlock, corpusBlock, THREADS)
                    .write()
                    .format("noop")
                    .mode("overwrite")
                    .save();
            double wall = 2.0 * sq * sc * dim / (System.nanoTime() - t2);
            search = Math.max(search, wall);
            searchCpu = Math.max(searchCpu, 2.0 * sq * sc * dim / (BenchReport.cpu() - c2));
            rounds.add(String.format(java.util.Locale.ROOT, "%.1f (peak %.1f)", wall, peakBefore));
        }
        line(
                "| float32 matmul peak, best of the run (%d measurements per shape, 2 before each"
                        + " search round; best at %s): GFLOP per wall s / per CPU s | %.1f / %.1f"
                        + " |",
                6 + 2 * SEARCH_ROUNDS, peak.shape, peak.wall, peak.cpu);
        line(
                "| Spark blocked search %d x %d (blocks %d x %d), top-50, end to end, best of %d"
                        + " rounds (%s): GFLOP per wall s / per CPU s, vs best peak of the run |"
                        + " %.1f (%.0f%% of peak) / %.1f (%.0f%% of peak) |",
                sq,
                sc,
                queryBlock,
                corpusBlock,
                SEARCH_ROUNDS,
                String.join(", ", rounds),
                search,
                100 * search / peak.wall,
                searchCpu,
                100 * searchCpu / peak.cpu);

        // 3. Memory: the same search in a JVM of its own (-Xmx512m), corpus 1x and 10x.
        int mq = Integer.getInteger("bench.memory.queries", 2048);
        int mc = Integer.getInteger("bench.memory.corpus", 32768);
        for (int factor : new int[] {1, 10}) {
            String[] probe = memoryProbe(mq, mc * factor, queryBlock, corpusBlock);
            line(
                    "| search %d x %d in its own local[2] JVM (-Xmx512m): seconds / old-gen peak MB"
                            + " / RSS peak MB | %s / %s / %s |",
                    mq, mc * factor, probe[1], probe[2], probe[3]);
        }
        line(
                "| load average (1 min) at the end | %.1f |",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());
        report.write(Paths.get("target", "dense-benchmark.md"));
    }

    /**
     * The cost of widening ({@code max_range}): {@code mine-dense} on SNLI dev (premise -> entailed
     * hypothesis, corpus = every hypothesis read, where the positive-aware filters leave many
     * premises short inside {@code range_max}) with {@code max_range = range_max} (off) and with
     * the default {@code max_range} (on), in the same JVM, rounds interleaved (the order
     * alternating), embeddings encoded once beforehand and passed as stored embeddings, so the
     * rounds time search, selection and widening only. Prints best wall and CPU seconds per
     * variant, their ratios and how many examples widened. Run alone with {@code
     * -Dtest='DenseBenchmark#widening'}; {@code -Dbench.widen.pairs} (default 1000) and {@code
     * -Dbench.widen.rounds} (default 3) size it.
     */
    @Test
    void widening() throws Exception {
        assumeTrue(
                Boolean.getBoolean("embedforge.bench"), "benchmarks need -Dembedforge.bench=true");
        Path data = sharedData();
        assumeTrue(data != null, "no shared data");
        int pairs = Integer.getInteger("bench.widen.pairs", 1000);
        int rounds = Integer.getInteger("bench.widen.rounds", 3);
        Dataset<Row>[] input = snliRetrieval(data, pairs);
        DenseParams on = DenseParams.defaults();
        DenseParams off = Settings.with(on, DenseParams.MAX_RANGE, on.rangeMax());
        DenseMiningJob.Result warm = DenseMiningJob.apply(input[0], input[1], off, null);
        Dataset<Row> stored = warm.newEmbeddings().persist(StorageLevel.MEMORY_AND_DISK());
        long encoded = stored.count();
        warm.unpersist();
        double[][] best = {
            {Double.MAX_VALUE, Double.MAX_VALUE}, {Double.MAX_VALUE, Double.MAX_VALUE}
        };
        long widened = 0;
        List<String> log = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) {
            for (int i = 0; i < 2; i++) {
                int v = (round + i) % 2;
                long c0 = BenchReport.cpu();
                long t0 = System.nanoTime();
                DenseMiningJob.Result r =
                        DenseMiningJob.apply(input[0], input[1], v == 0 ? off : on, stored);
                r.examples().write().format("noop").mode("overwrite").save();
                double wall = (System.nanoTime() - t0) / 1e9;
                double cpu = (BenchReport.cpu() - c0) / 1e9;
                if (v == 1) {
                    widened =
                            r.selected()
                                    .filter(col(DenseSelection.WINDOW).gt(on.rangeMax()))
                                    .count();
                }
                r.unpersist();
                if (round == 0) {
                    continue; // warm-up: plan code generation and the JIT of both paths
                }
                best[v][0] = Math.min(best[v][0], wall);
                best[v][1] = Math.min(best[v][1], cpu);
                log.add(
                        String.format(
                                java.util.Locale.ROOT, "%s %.1f s", v == 0 ? "off" : "on", wall));
            }
        }
        stored.unpersist();
        line("| measure | value |");
        line("|---|---|");
        line(
                "| SNLI dev entailment pairs / texts encoded once (not timed) | %d / %d |",
                input[0].count(), encoded);
        line(
                "| examples whose window widened beyond range_max %d (max_range %d) | %d |",
                on.rangeMax(), on.maxRange(), widened);
        line("| rounds after one warm-up, interleaved | %s |", String.join(", ", log));
        line(
                "| mine-dense without encoding, best round: wall s / CPU s, max_range = range_max"
                        + " (off) | %.2f / %.2f |",
                best[0][0], best[0][1]);
        line(
                "| the same, max_range %d (on) | %.2f / %.2f |",
                on.maxRange(), best[1][0], best[1][1]);
        line(
                "| ratio on / off: wall / CPU | %.2f / %.2f |",
                best[1][0] / best[0][0], best[1][1] / best[0][1]);
        line(
                "| load average (1 min) at the end | %.1f |",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());
        report.write(Paths.get("target", "dense-widening-benchmark.md"));
    }

    /**
     * SNLI dev as mine-dense reads it: {retrieval rows (premise -> entailed hypothesis), corpus
     * (every distinct hypothesis of the lines read)}, the first {@code pairs} entailment pairs.
     */
    @SuppressWarnings("unchecked")
    private static Dataset<Row>[] snliRetrieval(Path data, int pairs) throws Exception {
        Path snli = data.resolve("snli");
        List<String> s1 = Files.readAllLines(snli.resolve("s1.dev"), StandardCharsets.UTF_8);
        List<String> s2 = Files.readAllLines(snli.resolve("s2.dev"), StandardCharsets.UTF_8);
        List<String> labels =
                Files.readAllLines(snli.resolve("labels.dev"), StandardCharsets.UTF_8);
        List<Row> examples = new ArrayList<>();
        java.util.Map<String, String> corpus = new java.util.LinkedHashMap<>();
        for (int i = 0; i < s1.size() && examples.size() < pairs; i++) {
            String premise = TextNormalizer.normalize(s1.get(i));
            String hypothesis = TextNormalizer.normalize(s2.get(i));
            String hid = StableIds.of("snli", hypothesis);
            corpus.put(hid, hypothesis);
            if (labels.get(i).trim().equals("entailment")) {
                examples.add(
                        DenseMiningJobTest.example(
                                "snli", StableIds.of("snli", premise), premise, hid, hypothesis));
            }
        }
        List<Row> docs = new ArrayList<>();
        corpus.forEach((id, text) -> docs.add(DenseMiningJobTest.doc("snli", id, null, text)));
        return new Dataset[] {
            spark().createDataFrame(examples, RetrievalTable.SCHEMA),
            spark().createDataFrame(docs, CorpusTable.SCHEMA)
        };
    }

    /**
     * The engine's float32 matrix-product peak on given shapes ({rows, candidates} x dim): products
     * of a query tile with a pre-transposed, contiguous candidate block, result copied to Java.
     * Keeps the best wall and CPU rates over every call, so it can be re-measured between rounds.
     */
    private static final class MatmulPeak {
        private final int dim;
        private final int[][] shapes;
        private final float[][] rows;
        private final float[][] candidates;
        double wall;
        double cpu;
        String shape = "";

        MatmulPeak(Random rnd, int dim, int[][] shapes) {
            this.dim = dim;
            this.shapes = shapes;
            this.rows = new float[shapes.length][];
            this.candidates = new float[shapes.length][];
            for (int i = 0; i < shapes.length; i++) {
                rows[i] = randomVectors(rnd, shapes[i][0], dim);
                candidates[i] = randomVectors(rnd, shapes[i][1], dim);
            }
        }

        /** {@code reps} products per shape; returns the best wall rate of this call. */
        double measure(int reps) {
            double best = 0;
            for (int i = 0; i < shapes.length; i++) {
                double flops = 2.0 * shapes[i][0] * shapes[i][1] * dim;
                try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                    NDArray a = m.create(rows[i], new Shape(shapes[i][0], dim));
                    NDArray bt =
                            m.create(candidates[i], new Shape(shapes[i][1], dim))
                                    .transpose()
                                    .duplicate();
                    for (int rep = 0; rep < reps; rep++) {
                        long c0 = BenchReport.cpu();
                        long t = System.nanoTime();
                        try (NDArray prod = a.matMul(bt)) {
                            prod.toFloatArray();
                        }
                        double rate = flops / (System.nanoTime() - t);
                        best = Math.max(best, rate);
                        if (rate > wall) {
                            wall = rate;
                            shape = shapes[i][0] + "x" + dim + "·" + dim + "x" + shapes[i][1];
                        }
                        cpu = Math.max(cpu, flops / (BenchReport.cpu() - c0));
                    }
                }
            }
            return best;
        }
    }

    /** Runs {@link SearchMemoryProbe} in a child JVM; its output line split on spaces. */
    private static String[] memoryProbe(int nq, int nc, int queryBlock, int corpusBlock)
            throws Exception {
        List<String> cmd =
                ChildJvm.command(
                        List.of("-Xmx512m", "-Dai.djl.offline=true"),
                        ChildJvm.classPath(),
                        SearchMemoryProbe.class.getName());
        cmd.addAll(
                List.of(
                        Integer.toString(nq),
                        Integer.toString(nc),
                        Integer.toString(queryBlock),
                        Integer.toString(corpusBlock)));
        Path log = Files.createTempFile("search-memory-probe", ".log");
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        int exit = p.waitFor();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (String l : lines) {
            if (l.startsWith("PROBE ")) {
                return l.split(" ");
            }
        }
        throw new IllegalStateException(
                "memory probe exited " + exit + " without a result: " + String.join("\n", lines));
    }

    private static float[] randomVectors(Random rnd, int n, int dim) {
        float[] v = new float[n * dim];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    private static List<String> snliTexts(Path data, int n) throws Exception {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String line :
                Files.readAllLines(
                        data.resolve("snli").resolve("s2.dev"), StandardCharsets.UTF_8)) {
            out.add(TextNormalizer.normalize(line));
            if (out.size() == n) {
                break;
            }
        }
        return new ArrayList<>(out);
    }
}
