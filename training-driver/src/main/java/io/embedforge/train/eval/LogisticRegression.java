package io.embedforge.train.eval;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.TreeSet;

/**
 * L2-regularised logistic regression fitted by L-BFGS, the classifier MTEB puts on frozen
 * embeddings ({@code sklearn.linear_model.LogisticRegression()} with its defaults: lbfgs, L2,
 * {@code C = 1}, intercept not penalised; MTEB passes {@code max_iter=100}).
 *
 * <p>The objective is scikit-learn's: mean cross-entropy over the training rows plus {@code ||W||^2
 * / (2 C n)}. With more than two classes the model is multinomial (softmax over one weight row per
 * class); with two it is binomial (one weight row, the first class's logit fixed at 0), as
 * scikit-learn does; the two differ, so this matters for binary sets such as AmazonCounterfactual.
 * Classes are the distinct labels in sorted order and a tie in {@link #predict} goes to the first,
 * as {@code numpy.argmax}. The optimiser starts at zero like scikit-learn's but its line search
 * differs from scipy's L-BFGS-B, so when {@code max_iter} stops it before convergence the weights
 * differ slightly; converged, both reach the same unique optimum (tested against scikit-learn).
 */
public final class LogisticRegression {

    /** L-BFGS history length (scipy's default {@code maxcor}). */
    static final int HISTORY = 10;

    private final List<String> classes;
    private final double[][] weights;
    private final double[] intercepts;
    private final int iterations;

    private LogisticRegression(
            List<String> classes, double[][] weights, double[] intercepts, int iterations) {
        this.classes = classes;
        this.weights = weights;
        this.intercepts = intercepts;
        this.iterations = iterations;
    }

    /**
     * Fits the model.
     *
     * @param x rows of features (equal lengths)
     * @param y label of each row; at least two distinct labels
     * @param c inverse regularisation strength (&gt; 0)
     * @param maxIter L-BFGS iterations at most
     * @param tol stop when the largest absolute gradient component is at most this
     */
    public static LogisticRegression fit(
            double[][] x, List<String> y, double c, int maxIter, double tol) {
        List<String> classes = List.copyOf(new TreeSet<>(y));
        if (x.length != y.size() || classes.size() < 2) {
            throw new IllegalArgumentException(
                    "logistic regression needs one label per row and >= 2 classes, got "
                            + x.length
                            + " rows, "
                            + y.size()
                            + " labels, classes "
                            + classes);
        }
        int[] target = y.stream().mapToInt(l -> classes.indexOf(l)).toArray();
        Objective f = new Objective(x, target, classes.size(), c);
        double[] theta = new double[f.size()];
        int iterations = minimise(f, theta, maxIter, tol);
        int rows = f.rows;
        int d = f.dim;
        double[][] w = new double[rows][d];
        double[] b = new double[rows];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(theta, r * (d + 1), w[r], 0, d);
            b[r] = theta[r * (d + 1) + d];
        }
        return new LogisticRegression(classes, w, b, iterations);
    }

    /** The label of the largest logit for each row. */
    public List<String> predict(double[][] x) {
        return Arrays.stream(x).map(row -> classes.get(argmax(logits(row)))).toList();
    }

    /** Classes in sorted order. */
    public List<String> classes() {
        return classes;
    }

    /** Weight rows: one per class, or one for a binary model (of the second class). */
    public double[][] weights() {
        return weights;
    }

    /** Intercepts, like {@link #weights()}. */
    public double[] intercepts() {
        return intercepts;
    }

    /** L-BFGS iterations run. */
    public int iterations() {
        return iterations;
    }

    private double[] logits(double[] row) {
        double[] z = new double[classes.size()];
        int offset = weights.length == 1 ? 1 : 0;
        for (int r = 0; r < weights.length; r++) {
            z[r + offset] = dot(weights[r], row) + intercepts[r];
        }
        return z;
    }

    private static int argmax(double[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * L-BFGS with a backtracking (Armijo) line search from {@code theta}, in place.
     *
     * @return iterations run
     */
    static int minimise(Objective f, double[] theta, int maxIter, double tol) {
        int n = theta.length;
        double[] g = new double[n];
        double fx = f.valueAndGradient(theta, g);
        Deque<double[][]> history = new ArrayDeque<>();
        for (int it = 0; it < maxIter; it++) {
            if (maxAbs(g) <= tol) {
                return it;
            }
            double[] dir = direction(g, history);
            double slope = dot(dir, g);
            if (slope >= 0) { // not a descent direction: restart from steepest descent
                history.clear();
                dir = negate(g);
                slope = dot(dir, g);
            }
            double step = history.isEmpty() ? Math.min(1, 1 / Math.sqrt(dot(g, g))) : 1;
            double[] next = new double[n];
            double[] gNext = new double[n];
            double fNext;
            while (true) {
                for (int i = 0; i < n; i++) {
                    next[i] = theta[i] + step * dir[i];
                }
                fNext = f.valueAndGradient(next, gNext);
                if (fNext <= fx + 1e-4 * step * slope || step < 1e-20) {
                    break;
                }
                step /= 2;
            }
            double[] s = new double[n];
            double[] yv = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = next[i] - theta[i];
                yv[i] = gNext[i] - g[i];
            }
            double sy = dot(s, yv);
            if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
                history.addLast(new double[][] {s, yv, {1 / sy}});
                if (history.size() > HISTORY) {
                    history.removeFirst();
                }
            }
            double decrease = fx - fNext;
            System.arraycopy(next, 0, theta, 0, n);
            System.arraycopy(gNext, 0, g, 0, n);
            fx = fNext;
            if (decrease <= 1e-15 * Math.max(1, Math.abs(fx))) {
                return it + 1;
            }
        }
        return maxIter;
    }

    /** Two-loop recursion: {@code -H g} from the stored (s, y, 1/(s.y)) pairs, oldest first. */
    private static double[] direction(double[] g, Deque<double[][]> history) {
        double[] q = g.clone();
        double[] alpha = new double[history.size()];
        double[][][] h = history.toArray(new double[0][][]);
        for (int k = h.length - 1; k >= 0; k--) {
            alpha[k] = h[k][2][0] * dot(h[k][0], q);
            axpy(-alpha[k], h[k][1], q);
        }
        if (h.length > 0) {
            double[][] last = h[h.length - 1];
            double gamma = 1 / (last[2][0] * dot(last[1], last[1]));
            for (int i = 0; i < q.length; i++) {
                q[i] *= gamma;
            }
        }
        for (int k = 0; k < h.length; k++) {
            double beta = h[k][2][0] * dot(h[k][1], q);
            axpy(alpha[k] - beta, h[k][0], q);
        }
        return negate(q);
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double[] negate(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = -v[i];
        }
        return out;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    /** scikit-learn's objective and its gradient; parameters are rows of (weights, intercept). */
    static final class Objective {
        final double[][] x;
        final int[] target;
        final int classes;
        final int rows;
        final int dim;
        final double l2;

        Objective(double[][] x, int[] target, int classes, double c) {
            if (!(c > 0) || !Double.isFinite(c)) {
                throw new IllegalArgumentException("C=" + c + " must be finite and > 0");
            }
            this.x = x;
            this.target = target;
            this.classes = classes;
            this.rows = classes == 2 ? 1 : classes;
            this.dim = x[0].length;
            this.l2 = 1 / (c * x.length);
        }

        int size() {
            return rows * (dim + 1);
        }

        /** Value at {@code theta}; the gradient goes into {@code grad}. */
        double valueAndGradient(double[] theta, double[] grad) {
            Arrays.fill(grad, 0);
            int n = x.length;
            int offset = rows == 1 ? 1 : 0;
            double loss = 0;
            double[] z = new double[classes];
            for (int i = 0; i < n; i++) {
                double[] row = x[i];
                for (int r = 0; r < rows; r++) {
                    double s = theta[r * (dim + 1) + dim];
                    for (int j = 0; j < dim; j++) {
                        s += theta[r * (dim + 1) + j] * row[j];
                    }
                    z[r + offset] = s;
                }
                double max = Arrays.stream(z).max().orElse(0);
                double sum = 0;
                for (int k = 0; k < classes; k++) {
                    sum += Math.exp(z[k] - max);
                }
                double logSum = max + Math.log(sum);
                loss += logSum - z[target[i]];
                for (int r = 0; r < rows; r++) {
                    int k = r + offset;
                    double err = Math.exp(z[k] - logSum) - (k == target[i] ? 1 : 0);
                    int base = r * (dim + 1);
                    for (int j = 0; j < dim; j++) {
                        grad[base + j] += err * row[j];
                    }
                    grad[base + dim] += err;
                }
            }
            double penalty = 0;
            for (int r = 0; r < rows; r++) {
                int base = r * (dim + 1);
                for (int j = 0; j < dim; j++) {
                    double w = theta[base + j];
                    penalty += w * w;
                    grad[base + j] = grad[base + j] / n + l2 * w;
                }
                grad[base + dim] /= n;
            }
            return loss / n + l2 / 2 * penalty;
        }
    }
}
