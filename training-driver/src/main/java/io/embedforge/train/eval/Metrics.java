package io.embedforge.train.eval;

import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Retrieval, STS, classification and clustering metrics as BEIR/MTEB compute them (the last two as
 * scikit-learn's {@code accuracy_score}, {@code f1_score(average="macro")} and {@code
 * v_measure_score}, tested against it).
 */
public final class Metrics {

    private Metrics() {}

    /**
     * nDCG@k with graded relevance ({@code 2^rel - 1} gains would differ; BEIR uses linear gains
     * {@code rel / log2(rank + 1)}, as here).
     *
     * @param ranked document ids, best first
     * @param relevance id to grade (&gt; 0 relevant)
     */
    public static double ndcg(List<String> ranked, Map<String, Integer> relevance, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            int rel = relevance.getOrDefault(ranked.get(i), 0);
            dcg += rel / log2(i + 2);
        }
        int[] ideal =
                relevance.values().stream()
                        .filter(r -> r > 0)
                        .sorted(Comparator.reverseOrder())
                        .mapToInt(Integer::intValue)
                        .toArray();
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.length); i++) {
            idcg += ideal[i] / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** Fraction of the relevant documents found in the top {@code k}. */
    public static double recall(List<String> ranked, Map<String, Integer> relevance, int k) {
        long relevant = relevance.values().stream().filter(r -> r > 0).count();
        if (relevant == 0) {
            return 0;
        }
        long found = ranked.stream().limit(k).filter(d -> relevance.getOrDefault(d, 0) > 0).count();
        return (double) found / relevant;
    }

    /** Spearman rank correlation (average ranks for ties). */
    public static double spearman(double[] a, double[] b) {
        if (a.length != b.length || a.length < 2) {
            throw new IllegalArgumentException(
                    "spearman needs two equal-length arrays of >= 2 values, got "
                            + a.length
                            + " and "
                            + b.length);
        }
        return pearson(ranks(a), ranks(b));
    }

    /** Fraction of positions where the two label lists agree. */
    public static double accuracy(List<String> gold, List<String> predicted) {
        sameSize(gold.size(), predicted.size());
        long hits =
                IntStream.range(0, gold.size())
                        .filter(i -> gold.get(i).equals(predicted.get(i)))
                        .count();
        return (double) hits / gold.size();
    }

    /**
     * Macro F1: the unweighted mean over every label in either list of {@code 2 TP / (2 TP + FP +
     * FN)} (scikit-learn's label set; a label never predicted scores 0).
     */
    public static double macroF1(List<String> gold, List<String> predicted) {
        sameSize(gold.size(), predicted.size());
        Map<String, long[]> perLabel = new TreeMap<>();
        for (int i = 0; i < gold.size(); i++) {
            String g = gold.get(i);
            String p = predicted.get(i);
            if (g.equals(p)) {
                perLabel.computeIfAbsent(g, k -> new long[3])[0]++;
            } else {
                perLabel.computeIfAbsent(p, k -> new long[3])[1]++;
                perLabel.computeIfAbsent(g, k -> new long[3])[2]++;
            }
        }
        double sum = 0;
        for (long[] c : perLabel.values()) {
            sum += 2.0 * c[0] / (2 * c[0] + c[1] + c[2]);
        }
        return sum / perLabel.size();
    }

    /**
     * V-measure: the harmonic mean of homogeneity ({@code I(C;K) / H(C)}) and completeness ({@code
     * I(C;K) / H(K)}), each 1 when its entropy is 0, natural logarithms, 0 when both are 0.
     *
     * @param gold class of each item
     * @param clusters cluster of each item
     */
    public static double vMeasure(List<String> gold, int[] clusters) {
        sameSize(gold.size(), clusters.length);
        int n = clusters.length;
        Map<String, Map<Integer, Long>> table = new HashMap<>();
        Map<String, Long> classCount = new HashMap<>();
        Map<Integer, Long> clusterCount = new HashMap<>();
        for (int i = 0; i < n; i++) {
            table.computeIfAbsent(gold.get(i), k -> new HashMap<>())
                    .merge(clusters[i], 1L, Long::sum);
            classCount.merge(gold.get(i), 1L, Long::sum);
            clusterCount.merge(clusters[i], 1L, Long::sum);
        }
        double mi = 0;
        for (Map.Entry<String, Map<Integer, Long>> row : table.entrySet()) {
            for (Map.Entry<Integer, Long> cell : row.getValue().entrySet()) {
                double nij = cell.getValue();
                mi +=
                        nij
                                / n
                                * Math.log(
                                        nij
                                                * n
                                                / ((double) classCount.get(row.getKey())
                                                        * clusterCount.get(cell.getKey())));
            }
        }
        double hc = entropy(classCount.values(), n);
        double hk = entropy(clusterCount.values(), n);
        double homogeneity = hc == 0 ? 1 : mi / hc;
        double completeness = hk == 0 ? 1 : mi / hk;
        return homogeneity + completeness == 0
                ? 0
                : 2 * homogeneity * completeness / (homogeneity + completeness);
    }

    private static double entropy(Collection<Long> counts, int n) {
        double h = 0;
        for (long c : counts) {
            h -= (double) c / n * Math.log((double) c / n);
        }
        return h;
    }

    private static void sameSize(int a, int b) {
        if (a != b || a == 0) {
            throw new IllegalArgumentException(
                    "need two non-empty lists of equal length, got " + a + " and " + b);
        }
    }

    static double[] ranks(double[] x) {
        Integer[] idx = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.comparingDouble(i -> x[i]));
        double[] r = new double[x.length];
        for (int i = 0; i < idx.length; ) {
            int j = i;
            while (j + 1 < idx.length && x[idx[j + 1]] == x[idx[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[idx[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }

    static double pearson(double[] a, double[] b) {
        double ma = Arrays.stream(a).average().orElse(0);
        double mb = Arrays.stream(b).average().orElse(0);
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
