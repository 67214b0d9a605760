package io.embedforge.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void ndcgAndRecallByHand() {
        Map<String, Integer> rel = Map.of("a", 1, "c", 2);
        List<String> ranked = List.of("b", "c", "a", "d");
        double dcg = 2 / (Math.log(3) / Math.log(2)) + 1 / 2.0;
        double idcg = 2 + 1 / (Math.log(3) / Math.log(2));
        assertEquals(dcg / idcg, Metrics.ndcg(ranked, rel, 10), 1e-12);
        assertEquals(0, Metrics.recall(ranked, rel, 1), 1e-12);
        assertEquals(0.5, Metrics.recall(ranked, rel, 2), 1e-12);
        assertEquals(1, Metrics.recall(ranked, rel, 100), 1e-12);
    }

    @Test
    void spearmanWithTies() {
        assertEquals(1, Metrics.spearman(new double[] {1, 2, 3}, new double[] {10, 20, 30}), 1e-12);
        assertEquals(-1, Metrics.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
        // ranks of {1,1,2} are {1.5,1.5,3}
        assertEquals(
                0.8660254037844386,
                Metrics.spearman(new double[] {1, 1, 2}, new double[] {1, 2, 3}),
                1e-12);
    }

    @Test
    void evaluatorRanksWithAnEmbedder() {
        Embedder oneHot =
                new Embedder() {
                    float[] v(String t) {
                        float[] x = new float[3];
                        for (char ch : t.toCharArray()) {
                            if (ch >= 'a' && ch <= 'c') {
                                x[ch - 'a']++;
                            }
                        }
                        double n = Math.sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
                        for (int i = 0; i < 3; i++) {
                            x[i] /= (float) n;
                        }
                        return x;
                    }

                    @Override
                    public float[][] embedQueries(String instruction, List<String> q) {
                        return q.stream().map(this::v).toArray(float[][]::new);
                    }

                    @Override
                    public float[][] embedDocuments(List<String> d) {
                        return d.stream().map(this::v).toArray(float[][]::new);
                    }
                };
        Evaluator.RetrievalSet set =
                new Evaluator.RetrievalSet(
                        "find",
                        Map.of("d1", "a", "d2", "ab", "d3", "c"),
                        Map.of("q1", "a?", "q2", "c?", "q3", "b"),
                        Map.of("q1", Map.of("d2", 1), "q2", Map.of("d3", 1)));
        Evaluator.RetrievalScores s = Evaluator.retrieval(oneHot, set);
        assertEquals(2, s.queries());
        assertEquals(0.5, s.recall1(), 1e-12);
        assertEquals(1.0, s.recall10(), 1e-12);
        assertEquals(0.5 * (1 + 1 / (Math.log(3) / Math.log(2))), s.ndcg10(), 1e-12);
        double rho =
                Evaluator.sts(
                        oneHot,
                        "sts",
                        List.of("a", "a", "b"),
                        List.of("a", "ab", "c"),
                        new double[] {5, 1, 0});
        assertEquals(
                Metrics.spearman(new double[] {5, 1, 0}, new double[] {1, Math.sqrt(0.5), 0}),
                rho,
                1e-12);
    }
}
