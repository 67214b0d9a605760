package io.embedforge.train.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/** Runs retrieval (BEIR-style) and STS evaluations against any {@link Embedder}. */
public final class Evaluator {

    /** A BEIR-style set: corpus, queries and graded judgements. */
    public record RetrievalSet(
            String instruction,
            Map<String, String> corpus,
            Map<String, String> queries,
            Map<String, Map<String, Integer>> qrels) {}

    /** Mean metrics over the judged queries. */
    public record RetrievalScores(
            int queries, double ndcg10, double recall1, double recall10, double recall100) {}

    private Evaluator() {}

    /** Ranks the whole corpus by cosine for every judged query. */
    public static RetrievalScores retrieval(Embedder embedder, RetrievalSet set) {
        List<String> docIds = new ArrayList<>(set.corpus().keySet());
        float[][] docs = embedder.embedDocuments(docIds.stream().map(set.corpus()::get).toList());
        List<String> qIds =
                set.queries().keySet().stream().filter(set.qrels()::containsKey).toList();
        if (qIds.isEmpty()) {
            throw new IllegalArgumentException("retrieval set has no query with judgements");
        }
        float[][] qs =
                embedder.embedQueries(
                        set.instruction(), qIds.stream().map(set.queries()::get).toList());
        double ndcg = 0;
        double r1 = 0;
        double r10 = 0;
        double r100 = 0;
        for (int i = 0; i < qIds.size(); i++) {
            List<String> ranked = top(qs[i], docs, docIds, 100);
            Map<String, Integer> rel = set.qrels().get(qIds.get(i));
            ndcg += Metrics.ndcg(ranked, rel, 10);
            r1 += Metrics.recall(ranked, rel, 1);
            r10 += Metrics.recall(ranked, rel, 10);
            r100 += Metrics.recall(ranked, rel, 100);
        }
        int n = qIds.size();
        return new RetrievalScores(n, ndcg / n, r1 / n, r10 / n, r100 / n);
    }

    /**
     * Spearman correlation between gold scores and cosine similarity of the pairs (both sides
     * embedded as documents... as MTEB does, with the instruction on both for NV-Embed).
     */
    public static double sts(
            Embedder embedder, String instruction, List<String> a, List<String> b, double[] gold) {
        float[][] ea = embedder.embedQueries(instruction, a);
        float[][] eb = embedder.embedQueries(instruction, b);
        double[] sim = new double[gold.length];
        for (int i = 0; i < gold.length; i++) {
            sim[i] = dot(ea[i], eb[i]);
        }
        return Metrics.spearman(gold, sim);
    }

    private static List<String> top(float[] q, float[][] docs, List<String> ids, int k) {
        PriorityQueue<Map.Entry<String, Double>> heap =
                new PriorityQueue<>(Map.Entry.comparingByValue());
        for (int j = 0; j < docs.length; j++) {
            heap.add(Map.entry(ids.get(j), dot(q, docs[j])));
            if (heap.size() > k) {
                heap.poll();
            }
        }
        List<Map.Entry<String, Double>> sorted = new ArrayList<>(heap);
        sorted.sort(Map.Entry.<String, Double>comparingByValue().reversed());
        Map<String, Double> out = new LinkedHashMap<>();
        sorted.forEach(e -> out.put(e.getKey(), e.getValue()));
        return new ArrayList<>(out.keySet());
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
