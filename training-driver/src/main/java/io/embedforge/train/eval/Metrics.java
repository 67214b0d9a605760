package io.embedforge.train.eval;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** Retrieval and STS metrics as BEIR/MTEB compute them. */
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
