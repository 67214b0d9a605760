package io.embedforge.train.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The classification and clustering metrics against scikit-learn's numbers on fixed inputs ({@code
 * fixtures/eval/sklearn_metrics.json}, written by {@code
 * scripts/reference/make_eval_metric_fixture.py}): accuracy, macro F1 and V-measure to 1e-12;
 * logistic regression (converged on both sides) with identical predictions, accuracy and F1, and
 * coefficients to 1e-5 (optimiser-dependent: the same optimum reached by different L-BFGS paths);
 * k-means labels from the same initial centres identical, converged and cut at 2 iterations.
 */
class EvalMetricsParityTest {

    static JsonNode fixture;

    @BeforeAll
    static void read() throws IOException {
        try (InputStream in =
                EvalMetricsParityTest.class.getResourceAsStream(
                        "/fixtures/eval/sklearn_metrics.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
    }

    static double[][] matrix(JsonNode n) {
        double[][] m = new double[n.size()][];
        for (int i = 0; i < n.size(); i++) {
            m[i] = new double[n.get(i).size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = n.get(i).get(j).asDouble();
            }
        }
        return m;
    }

    static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(v -> out.add(v.asText()));
        return out;
    }

    static int[] ints(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    @Test
    void accuracyAndMacroF1() {
        for (JsonNode c : fixture.get("labels")) {
            List<String> gold = strings(c.get("gold"));
            List<String> pred = strings(c.get("predicted"));
            assertEquals(c.get("accuracy").asDouble(), Metrics.accuracy(gold, pred), 1e-12);
            assertEquals(c.get("f1_macro").asDouble(), Metrics.macroF1(gold, pred), 1e-12);
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> Metrics.macroF1(List.of("a"), List.of("a", "b")));
    }

    @Test
    void vMeasure() {
        for (JsonNode c : fixture.get("v_measure")) {
            assertEquals(
                    c.get("v_measure").asDouble(),
                    Metrics.vMeasure(strings(c.get("gold")), ints(c.get("clusters"))),
                    1e-12,
                    c.toString());
        }
    }

    @Test
    void logisticRegressionReachesScikitLearnsOptimum() {
        for (JsonNode c : fixture.get("logistic_regression")) {
            String name = c.get("name").asText();
            LogisticRegression m =
                    LogisticRegression.fit(
                            matrix(c.get("x_train")), strings(c.get("y_train")), 1.0, 10000, 1e-10);
            assertEquals(strings(c.get("classes")), m.classes(), name);
            double[][] coef = matrix(c.get("coef"));
            assertEquals(coef.length, m.weights().length, name);
            for (int r = 0; r < coef.length; r++) {
                assertArrayEquals(coef[r], m.weights()[r], 1e-5, name + " row " + r);
            }
            double[] b = new double[coef.length];
            for (int r = 0; r < b.length; r++) {
                b[r] = c.get("intercept").get(r).asDouble();
            }
            assertArrayEquals(b, m.intercepts(), 1e-5, name);
            List<String> pred = m.predict(matrix(c.get("x_test")));
            List<String> gold = strings(c.get("y_test"));
            assertEquals(strings(c.get("predictions")), pred, name);
            assertEquals(c.get("accuracy").asDouble(), Metrics.accuracy(gold, pred), 1e-12);
            assertEquals(c.get("f1_macro").asDouble(), Metrics.macroF1(gold, pred), 1e-12);
        }
    }

    @Test
    void logisticRegressionRejectsOneClass() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                LogisticRegression.fit(
                                        new double[][] {{1}, {2}},
                                        List.of("a", "a"),
                                        1,
                                        100,
                                        1e-4));
        assertTrue(e.getMessage().contains(">= 2 classes"), e.getMessage());
    }

    @Test
    void kMeansLloydFromTheSameCentres() {
        for (JsonNode c : fixture.get("kmeans")) {
            int[] labels =
                    KMeans.lloyd(
                            matrix(c.get("x")),
                            matrix(c.get("init")),
                            c.get("max_iter").asInt(),
                            KMeans.TOL);
            assertArrayEquals(ints(c.get("labels")), labels, c.get("name").asText());
        }
    }

    @Test
    void kMeansIsDeterministicPerSeedAndFindsSeparatedClusters() {
        JsonNode c = fixture.get("kmeans").get(0);
        double[][] x = matrix(c.get("x"));
        assertArrayEquals(KMeans.cluster(x, 4, 7), KMeans.cluster(x, 4, 7));
        List<String> truth = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            truth.add("c" + i / 20);
        }
        assertTrue(Metrics.vMeasure(truth, KMeans.cluster(x, 4, 7)) > 0.5);
        assertThrows(IllegalArgumentException.class, () -> KMeans.cluster(x, 0, 1));
    }
}
