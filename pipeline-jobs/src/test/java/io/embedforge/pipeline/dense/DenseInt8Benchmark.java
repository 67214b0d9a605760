package io.embedforge.pipeline.dense;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.encoder.EncoderConfig;
import io.embedforge.encoder.EncoderPrecision;
import io.embedforge.encoder.TextEncoder;
import io.embedforge.pipeline.BenchReport;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.train.eval.Metrics;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * {@code encoder.precision: int8} against fp32 on the real samples (issue 23), run by hand on a
 * machine that need not be quiet: everything it reports is either load-independent (agreement) or a
 * ratio of the two precisions measured in the same run, interleaved.
 *
 * <pre>
 * python3 scripts/quantize_encoder.py     # once: writes the int8 graphs into the model cache
 * mvn -q -pl pipeline-jobs -am test -Dtest=DenseInt8Benchmark#encoders -Dembedforge.bench=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.texts=1000 -Dbench.rounds=3]
 * mvn ... -Dtest=DenseInt8Benchmark#mining ... [-Dbench.pairs=3329 -Dbench.model=minilm]
 * </pre>
 *
 * <ul>
 *   <li>{@code encoders}: per model (embedded E5-small-v2; all-MiniLM-L6-v2 when its int8 graph
 *       exists), encoding speed of {@code bench.texts} SNLI dev texts, fp32 and int8 alternating
 *       for {@code bench.rounds} rounds (wall and process CPU time, 2 threads per pass), and the
 *       STS-B test Spearman of the encoder itself (cosine of the two sentences against the gold
 *       score, all 1,379 pairs; E5 with its {@code "query: "} prefix on both sides, as for
 *       symmetric tasks).
 *   <li>{@code mining}: {@link DenseMiningJob#apply} with the stage's defaults (E5, 7 negatives,
 *       ranks 1-50 widened up to 1000, TopK-PercPos 0.95) over the first {@code bench.pairs} SNLI
 *       premise -> entailment-hypothesis pairs (all of dev by default), corpus = every hypothesis
 *       of the lines read, once per precision and once more at fp32 as a control ({@code
 *       -Dbench.model=minilm}: all-MiniLM-L6-v2, same stage defaults): the share of examples whose
 *       7 negatives are the identical set, mean Jaccard, and the SNLI false negatives of each
 *       precision (a negative that is an entailed hypothesis of the same premise, texts compared
 *       case-folded, as {@code scripts/check_snli_false_negatives.py}).
 * </ul>
 *
 * Skipped without {@code -Dembedforge.bench=true}, without {@code ../shared/data} or without the
 * embedded E5's int8 graph. Reports: {@code target/int8-encoders.md}, {@code
 * target/int8-mining.md}.
 */
class DenseInt8Benchmark extends SparkTestBase {
    private static final int TEXTS = Integer.getInteger("bench.texts", 1000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int PAIRS = Integer.getInteger("bench.pairs", 3329);
    private static final boolean MINILM = "minilm".equals(System.getProperty("bench.model"));

    private final BenchReport report = new BenchReport();

    private static void assumeReady() {
        assumeTrue(
                Boolean.getBoolean("embedforge.bench"), "benchmarks need -Dembedforge.bench=true");
        assumeTrue(sharedData() != null, "no ../shared/data");
        assumeTrue(
                Files.isRegularFile(EncoderPrecision.embeddedInt8File()),
                "no int8 E5: run scripts/quantize_encoder.py");
    }

    @Test
    void encoders() throws Exception {
        assumeReady();
        DenseStCompareBenchmark.Snli snli =
                DenseStCompareBenchmark.Snli.read(sharedData().resolve("snli"), PAIRS);
        List<String> texts = snli.parityTexts(TEXTS);
        List<String[]> sts = stsTest(sharedData().resolve("stsbenchmark/sts-test.csv"));
        report.line("| model | measure | fp32 | int8 | int8 / fp32 |");
        report.line("|---|---|---|---|---|");
        compare("E5-small-v2", EncoderConfig.defaults(), texts, sts);
        EncoderConfig miniLm = DenseStCompareBenchmark.miniLm().withIntraOpThreads(0);
        if (Files.isRegularFile(EncoderPrecision.int8File(Paths.get(miniLm.modelPath())))) {
            compare("all-MiniLM-L6-v2", miniLm, texts, sts);
        } else {
            report.line("| all-MiniLM-L6-v2 | no int8 graph: not measured | | | |");
        }
        loadAverage();
        report.write(Paths.get("target", "int8-encoders.md"));
    }

    /** Speed (interleaved rounds) and STS-B Spearman of one model at both precisions. */
    private void compare(String name, EncoderConfig fp32, List<String> texts, List<String[]> sts)
            throws Exception {
        try (TextEncoder f = TextEncoder.load(fp32);
                TextEncoder q = TextEncoder.load(fp32.withPrecision(EncoderPrecision.INT8))) {
            f.encodePassages(texts.subList(0, 64));
            q.encodePassages(texts.subList(0, 64));
            double[] ratios = new double[ROUNDS];
            for (int round = 1; round <= ROUNDS; round++) {
                double[] a = timed(f, texts);
                double[] b = timed(q, texts);
                ratios[round - 1] = a[0] / b[0];
                report.line(
                        "| %s | round %d: %d texts, wall s (CPU s) | %.1f (%.1f) | %.1f (%.1f) |"
                                + " speed-up %.2fx wall, %.2fx CPU |",
                        name,
                        round,
                        texts.size(),
                        a[0],
                        a[1],
                        b[0],
                        b[1],
                        a[0] / b[0],
                        a[1] / b[1]);
            }
            java.util.Arrays.sort(ratios);
            report.line(
                    "| %s | median speed-up of %d rounds (wall) | | | %.2fx |",
                    name, ROUNDS, ratios[ROUNDS / 2]);
            double sf = spearman(f, sts);
            double sq = spearman(q, sts);
            report.line(
                    "| %s | STS-B test Spearman (%d pairs) | %.4f | %.4f | %+.4f |",
                    name, sts.size(), sf, sq, sq - sf);
        }
    }

    /** Wall and process-CPU seconds of encoding {@code texts} in chunks as the stage does. */
    static double[] timed(TextEncoder encoder, List<String> texts) {
        long c = BenchReport.cpu();
        long t = System.nanoTime();
        for (int i = 0; i < texts.size(); i += DenseParams.ENCODE_CHUNK_DEFAULT) {
            encoder.encodePassages(
                    texts.subList(i, Math.min(texts.size(), i + DenseParams.ENCODE_CHUNK_DEFAULT)));
        }
        return new double[] {(System.nanoTime() - t) / 1e9, (BenchReport.cpu() - c) / 1e9};
    }

    /** STS-B rows: score, sentence 1, sentence 2 (columns 5-7 of the official TSV). */
    private static List<String[]> stsTest(Path file) throws Exception {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, UTF_8)) {
            String[] c = line.split("\t", -1);
            rows.add(new String[] {c[4], c[5], c[6]});
        }
        return rows;
    }

    private static double spearman(TextEncoder encoder, List<String[]> sts) {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        double[] gold = new double[sts.size()];
        for (int i = 0; i < sts.size(); i++) {
            gold[i] = Double.parseDouble(sts.get(i)[0]);
            a.add(sts.get(i)[1]);
            b.add(sts.get(i)[2]);
        }
        float[][] va = encoder.encodeQueries(a);
        float[][] vb = encoder.encodeQueries(b);
        double[] cos = new double[sts.size()];
        for (int i = 0; i < cos.length; i++) {
            for (int k = 0; k < va[i].length; k++) {
                cos[i] += (double) va[i][k] * vb[i][k];
            }
        }
        return Metrics.spearman(cos, gold);
    }

    @Test
    void mining() throws Exception {
        assumeReady();
        DenseStCompareBenchmark.Snli snli =
                DenseStCompareBenchmark.Snli.read(sharedData().resolve("snli"), PAIRS);
        Path work = Paths.get("target", "int8-mining").toAbsolutePath();
        String retrieval = work.resolve("retrieval").toString();
        String corpus = work.resolve("corpus").toString();
        snli.write(spark(), work);
        Map<String, Set<String>> entailed = entailed(sharedData().resolve("snli"));
        report.line("| measure | fp32 | int8 |");
        report.line("|---|---|---|");
        report.line(
                "| model / SNLI pairs / corpus texts | %s / %d / %d | |",
                MINILM ? "all-MiniLM-L6-v2" : "E5-small-v2",
                snli.pairs().size(),
                snli.corpus().size());
        Mined fp32 = mine(retrieval, corpus, EncoderPrecision.FP32, entailed);
        Mined int8 = mine(retrieval, corpus, EncoderPrecision.INT8, entailed);
        report.line("| int8 vs fp32 | | |");
        agreement(fp32, int8);
        // Control: fp32 again; anything short of 100% here would be the stage's own noise.
        Mined again = mine(retrieval, corpus, EncoderPrecision.FP32, entailed);
        report.line("| fp32 vs fp32 again (control) | | |");
        agreement(fp32, again);
        loadAverage();
        report.write(Paths.get("target", MINILM ? "int8-mining-minilm.md" : "int8-mining.md"));
    }

    /** Per example id: its negatives' texts and their scores, in rank order. */
    private record Mined(Map<String, List<String>> negatives, Map<String, List<Double>> scores) {}

    /** One apply at {@code precision}; reports its time and its SNLI false negatives. */
    private Mined mine(
            String retrieval, String corpus, String precision, Map<String, Set<String>> entailed) {
        EncoderConfig encoder =
                MINILM
                        ? DenseStCompareBenchmark.miniLm().withIntraOpThreads(0)
                        : EncoderConfig.defaults();
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.ENCODER,
                        encoder.withPrecision(precision));
        long c = BenchReport.cpu();
        long t = System.nanoTime();
        DenseMiningJob.Result r =
                DenseMiningJob.apply(
                        spark().read().parquet(retrieval), spark().read().parquet(corpus), p, null);
        List<Row> rows = r.examples().collectAsList();
        double wall = (System.nanoTime() - t) / 1e9;
        double cpu = (BenchReport.cpu() - c) / 1e9;
        r.unpersist();
        Mined out = new Mined(new HashMap<>(), new HashMap<>());
        long negatives = 0;
        long falseNegatives = 0;
        for (Row x : rows) {
            List<String> negs = x.getList(6);
            out.negatives().put(x.getString(2), negs);
            out.scores().put(x.getString(2), x.getList(8));
            Set<String> positives = entailed.getOrDefault(fold(x.getString(4)), Set.of());
            negatives += negs.size();
            falseNegatives += negs.stream().filter(n -> positives.contains(fold(n))).count();
        }
        report.line(
                "| %s: examples / negatives / SNLI false negatives / apply wall s (CPU s) |"
                        + " %d / %d / %d / %.1f (%.1f) | |",
                precision, rows.size(), negatives, falseNegatives, wall, cpu);
        return out;
    }

    /**
     * Same-set share, same order, mean Jaccard; and why sets differ: the median gap between
     * consecutive negative scores of a row (how close the candidates are) beside the median change
     * of a shared negative's score between the two runs.
     */
    private void agreement(Mined x, Mined y) {
        int both = 0;
        int same = 0;
        int sameOrder = 0;
        double jaccard = 0;
        List<Double> gaps = new ArrayList<>();
        List<Double> shifts = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : x.negatives().entrySet()) {
            List<String> other = y.negatives().get(e.getKey());
            if (other == null) {
                continue;
            }
            both++;
            List<Double> sx = x.scores().get(e.getKey());
            List<Double> sy = y.scores().get(e.getKey());
            for (int i = 1; i < sx.size(); i++) {
                gaps.add(Math.abs(sx.get(i - 1) - sx.get(i)));
            }
            for (int i = 0; i < e.getValue().size(); i++) {
                int j = other.indexOf(e.getValue().get(i));
                if (j >= 0) {
                    shifts.add(Math.abs(sx.get(i) - sy.get(j)));
                }
            }
            Set<String> a = new HashSet<>(e.getValue());
            Set<String> union = new LinkedHashSet<>(a);
            union.addAll(other);
            a.retainAll(new HashSet<>(other));
            jaccard += union.isEmpty() ? 1 : (double) a.size() / union.size();
            if (a.size() == union.size()) {
                same++;
                sameOrder += e.getValue().equals(other) ? 1 : 0;
            }
        }
        report.line(
                "| examples in both / identical negative sets / same order / mean Jaccard |"
                        + " %d / %d (%.1f%%) / %d / %.4f | |",
                both, same, 100.0 * same / both, sameOrder, jaccard / both);
        report.line(
                "| median gap of consecutive negative scores in a row / median score change of a"
                        + " shared negative | %.5f / %.5f | |",
                median(gaps), median(shifts));
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    /** SNLI dev and test: case-folded premise -> its case-folded entailed hypotheses. */
    private static Map<String, Set<String>> entailed(Path snli) throws Exception {
        Map<String, Set<String>> out = new HashMap<>();
        for (String split : List.of("dev", "test")) {
            List<String> s1 = Files.readAllLines(snli.resolve("s1." + split), UTF_8);
            List<String> s2 = Files.readAllLines(snli.resolve("s2." + split), UTF_8);
            List<String> labels = Files.readAllLines(snli.resolve("labels." + split), UTF_8);
            for (int i = 0; i < s1.size(); i++) {
                if (labels.get(i).trim().equals("entailment")) {
                    out.computeIfAbsent(fold(s1.get(i)), k -> new HashSet<>()).add(fold(s2.get(i)));
                }
            }
        }
        return out;
    }

    private static String fold(String text) {
        return String.join(" ", text.trim().split("\\s+")).toLowerCase(Locale.ROOT);
    }

    private void loadAverage() {
        report.line(
                "| load average (1 min) at the end | %.2f | |",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
