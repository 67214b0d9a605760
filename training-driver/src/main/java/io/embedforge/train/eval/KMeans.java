package io.embedforge.train.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * k-means for MTEB-style clustering: greedy k-means++ seeding, then Lloyd iterations as
 * scikit-learn's {@code KMeans(algorithm="lloyd", n_init=1, max_iter=300, tol=1e-4)} runs them.
 *
 * <p>Given the same initial centres the Lloyd part is scikit-learn's: the tolerance is {@code tol}
 * times the mean per-feature variance, it stops when the labels repeat (strict convergence) or the
 * summed squared centre shift is at most that tolerance, and then relabels against the final
 * centres; ties go to the lower centre index (tested against scikit-learn). The seeding uses
 * scikit-learn's greedy k-means++ rule ({@code 2 + floor(ln k)} candidates per centre, the one
 * lowering the potential most) with a Java random generator, so a given seed picks other centres
 * than numpy would. MTEB uses {@code MiniBatchKMeans(batch_size=500)}; full-batch Lloyd is what
 * MiniBatchKMeans approximates, and on sets of a few hundred texts it is cheap. An empty cluster
 * takes the point farthest from its centre (scikit-learn relocates to far points too, in another
 * order).
 */
public final class KMeans {

    /** scikit-learn's default iteration cap. */
    public static final int MAX_ITER = 300;

    /** scikit-learn's default relative tolerance. */
    public static final double TOL = 1e-4;

    private KMeans() {}

    /**
     * Seeds with greedy k-means++ from {@code seed}, then runs Lloyd.
     *
     * @return the cluster index of each row
     */
    public static int[] cluster(double[][] x, int k, long seed) {
        if (k < 1 || k > x.length) {
            throw new IllegalArgumentException(
                    "k-means needs 1 <= k <= rows, got k=" + k + " for " + x.length + " rows");
        }
        return lloyd(x, plusPlus(x, k, new SplittableRandom(seed)), MAX_ITER, TOL);
    }

    /** Greedy k-means++ initial centres (copies of rows). */
    static double[][] plusPlus(double[][] x, int k, SplittableRandom rng) {
        int n = x.length;
        int trials = 2 + (int) Math.log(k);
        double[][] centres = new double[k][];
        centres[0] = x[rng.nextInt(n)].clone();
        double[] closest = new double[n];
        for (int i = 0; i < n; i++) {
            closest[i] = sq(x[i], centres[0]);
        }
        for (int c = 1; c < k; c++) {
            double pot = Arrays.stream(closest).sum();
            double bestPot = Double.POSITIVE_INFINITY;
            double[] bestDist = null;
            int best = -1;
            for (int t = 0; t < trials; t++) {
                int cand = pick(closest, rng.nextDouble() * pot);
                double[] dist = new double[n];
                double candPot = 0;
                for (int i = 0; i < n; i++) {
                    dist[i] = Math.min(closest[i], sq(x[i], x[cand]));
                    candPot += dist[i];
                }
                if (candPot < bestPot) {
                    bestPot = candPot;
                    bestDist = dist;
                    best = cand;
                }
            }
            centres[c] = x[best].clone();
            closest = bestDist;
        }
        return centres;
    }

    /** The first index whose cumulative weight reaches {@code target}. */
    private static int pick(double[] weights, double target) {
        double cum = 0;
        for (int i = 0; i < weights.length; i++) {
            cum += weights[i];
            if (cum >= target && weights[i] > 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /**
     * Lloyd iterations from {@code centres} (not modified).
     *
     * @return the cluster index of each row against the final centres
     */
    public static int[] lloyd(double[][] x, double[][] init, int maxIter, double tol) {
        int n = x.length;
        int k = init.length;
        double[][] centres = Arrays.stream(init).map(double[]::clone).toArray(double[][]::new);
        double scaledTol = tol * meanVariance(x);
        int[] labels = new int[n];
        int[] old = new int[n];
        Arrays.fill(old, -1);
        boolean strict = false;
        for (int it = 0; it < maxIter; it++) {
            assign(x, centres, labels);
            double[][] next = means(x, labels, k, centres);
            double shift = 0;
            for (int c = 0; c < k; c++) {
                shift += sq(next[c], centres[c]);
            }
            centres = next;
            if (Arrays.equals(labels, old)) {
                strict = true;
                break;
            }
            if (shift <= scaledTol) {
                break;
            }
            System.arraycopy(labels, 0, old, 0, n);
        }
        if (!strict) {
            assign(x, centres, labels);
        }
        return labels;
    }

    private static void assign(double[][] x, double[][] centres, int[] labels) {
        for (int i = 0; i < x.length; i++) {
            int best = 0;
            double bestD = Double.POSITIVE_INFINITY;
            for (int c = 0; c < centres.length; c++) {
                double d = sq(x[i], centres[c]);
                if (d < bestD) {
                    bestD = d;
                    best = c;
                }
            }
            labels[i] = best;
        }
    }

    /** New centres: the mean of each cluster; an empty one takes the farthest point. */
    private static double[][] means(double[][] x, int[] labels, int k, double[][] previous) {
        int d = x[0].length;
        double[][] sum = new double[k][d];
        int[] count = new int[k];
        for (int i = 0; i < x.length; i++) {
            count[labels[i]]++;
            for (int j = 0; j < d; j++) {
                sum[labels[i]][j] += x[i][j];
            }
        }
        for (int c = 0; c < k; c++) {
            if (count[c] == 0) {
                int far = 0;
                double farD = -1;
                for (int i = 0; i < x.length; i++) {
                    double dist = sq(x[i], previous[labels[i]]);
                    if (dist > farD) {
                        farD = dist;
                        far = i;
                    }
                }
                sum[c] = x[far].clone();
                count[c] = 1;
            } else {
                for (int j = 0; j < d; j++) {
                    sum[c][j] /= count[c];
                }
            }
        }
        return sum;
    }

    private static double meanVariance(double[][] x) {
        int d = x[0].length;
        double total = 0;
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (double[] row : x) {
                mean += row[j];
            }
            mean /= x.length;
            double var = 0;
            for (double[] row : x) {
                var += (row[j] - mean) * (row[j] - mean);
            }
            total += var / x.length;
        }
        return total / d;
    }

    static double sq(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return s;
    }
}
