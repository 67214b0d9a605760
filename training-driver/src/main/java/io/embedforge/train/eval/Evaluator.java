package io.embedforge.train.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * Runs retrieval (BEIR-style), STS, classification and clustering (MTEB's protocols) against any
 * {@link Embedder}.
 */
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

    /** Classification means over the experiments. */
    public record ClassificationScores(double accuracy, double f1) {}

    /** The classifier's tolerance: scikit-learn's default {@code tol}. */
    static final double TOL = 1e-4;

    /** scikit-learn's default inverse regularisation strength. */
    static final double C = 1.0;

    private Evaluator() {}

    /**
     * MTEB classification: for each of {@code n_experiments} seeded shuffles of the training pool,
     * the first {@code samples_per_label} texts of each label fit a logistic regression on their
     * embeddings (queries with the set's instruction, as NV-Embed evaluates); accuracy and macro F1
     * on the test texts, averaged. Every text is embedded once.
     */
    public static ClassificationScores classification(
            Embedder embedder, String instruction, Labelled fit, Labelled test, Protocol p) {
        List<List<Integer>> samples = new ArrayList<>();
        TreeSet<Integer> needed = new TreeSet<>();
        for (int e = 0; e < p.nExperiments(); e++) {
            Map<String, Integer> perLabel = new HashMap<>();
            List<Integer> pick = new ArrayList<>();
            for (int i : Labelled.shuffled(fit.size(), p.seed(), e)) {
                if (perLabel.merge(fit.labels().get(i), 1, Integer::sum) <= p.samplesPerLabel()) {
                    pick.add(i);
                }
            }
            samples.add(pick);
            needed.addAll(pick);
        }
        List<Integer> order = new ArrayList<>(needed);
        float[][] fitVectors = embedder.embedQueries(instruction, fit.rows(order).texts());
        Map<Integer, double[]> byRow = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            byRow.put(order.get(i), toDouble(fitVectors[i]));
        }
        double[][] testX =
                Arrays.stream(embedder.embedQueries(instruction, test.texts()))
                        .map(Evaluator::toDouble)
                        .toArray(double[][]::new);
        double acc = 0;
        double f1 = 0;
        for (List<Integer> pick : samples) {
            double[][] x = pick.stream().map(byRow::get).toArray(double[][]::new);
            LogisticRegression m =
                    LogisticRegression.fit(x, fit.rows(pick).labels(), C, p.maxIter(), TOL);
            List<String> predicted = m.predict(testX);
            acc += Metrics.accuracy(test.labels(), predicted);
            f1 += Metrics.macroF1(test.labels(), predicted);
        }
        return new ClassificationScores(acc / samples.size(), f1 / samples.size());
    }

    /**
     * MTEB clustering: k-means with k = the number of labels on the embeddings of the items
     * (queries with the set's instruction), V-measure against the labels, averaged over {@code
     * n_experiments} runs seeded {@code seed, seed + 1, ...}.
     */
    public static double clustering(
            Embedder embedder, String instruction, Labelled items, Protocol p) {
        double[][] x =
                Arrays.stream(embedder.embedQueries(instruction, items.texts()))
                        .map(Evaluator::toDouble)
                        .toArray(double[][]::new);
        int k = (int) items.distinctLabels();
        double v = 0;
        for (int r = 0; r < p.nExperiments(); r++) {
            v += Metrics.vMeasure(items.labels(), KMeans.cluster(x, k, p.seed() + r));
        }
        return v / p.nExperiments();
    }

    static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

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
