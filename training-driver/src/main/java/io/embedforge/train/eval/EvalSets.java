package io.embedforge.train.eval;

import io.embedforge.train.eval.EvalConfig.SetConfig;
import io.embedforge.train.eval.EvalReaders.Judgement;
import io.embedforge.train.eval.EvalReaders.StsPairs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads the sets of an {@link EvalConfig} and caps them deterministically.
 *
 * <p>Retrieval capping: the judged queries (at least one relevant judgement whose query and
 * document both exist) are kept in file order up to {@code max_queries}; the corpus keeps every
 * relevant document of the kept queries, then the other documents in file order until {@code
 * max_corpus} documents in all (more if the relevant ones alone exceed it, which is counted as
 * {@code corpus_over_cap}). A capped corpus has fewer distractors, so capped scores are higher than
 * full-corpus scores. Judgements naming an unknown query or document go to {@link BadRecords}:
 * fatal or counted, and with a partial corpus (SciFact head) the dropped ones are reported.
 */
public final class EvalSets {

    /** The SNLI label that makes a hypothesis relevant to its premise. */
    public static final String ENTAILMENT = "entailment";

    private static final Set<String> SNLI_LABELS = Set.of(ENTAILMENT, "neutral", "contradiction");

    /**
     * A loaded set: retrieval (and SNLI), STS, classification or clustering.
     *
     * @param config its configuration
     * @param retrieval the capped retrieval set, or null
     * @param sts the STS pairs, or null
     * @param fit classification: the pool the classifier's samples are drawn from, or null
     * @param scored classification: the test texts; clustering: the items; or null
     * @param counts what was read, kept and dropped (stable order)
     * @param bad skipped records per reason, with examples
     */
    public record LoadedSet(
            SetConfig config,
            Evaluator.RetrievalSet retrieval,
            StsPairs sts,
            Labelled fit,
            Labelled scored,
            Map<String, Long> counts,
            BadRecords bad) {

        /**
         * The texts this set scores, which training data must not contain: retrieval queries, both
         * sides of STS pairs, classification test texts, clustering items. Not the retrieval corpus
         * (BEIR-style training shares it: a document may be a positive of a training query) nor the
         * classification training pool (MTEB fits on the train split by design).
         */
        public List<String> scoredTexts() {
            List<String> out = new ArrayList<>();
            if (retrieval != null) {
                out.addAll(retrieval.queries().values());
            }
            if (sts != null) {
                out.addAll(sts.a());
                out.addAll(sts.b());
            }
            if (scored != null) {
                out.addAll(scored.texts());
                scored.parts().stream().filter(p -> p.size() > 1).forEach(out::addAll);
            }
            return out;
        }
    }

    private EvalSets() {}

    /** Loads every set; file paths resolve against {@code root}. */
    public static List<LoadedSet> load(EvalConfig config, Path root) throws IOException {
        List<LoadedSet> out = new ArrayList<>();
        for (SetConfig s : config.sets()) {
            out.add(load(s, root));
        }
        return out;
    }

    /** Loads one set. */
    public static LoadedSet load(SetConfig s, Path root) throws IOException {
        BadRecords bad = new BadRecords(s.skipBad());
        try {
            return switch (s.kind()) {
                case EvalConfig.STS -> sts(s, root, bad);
                case EvalConfig.SNLI -> snli(s, root, bad);
                case EvalConfig.CLASSIFICATION -> classification(s, root, bad);
                case EvalConfig.CLUSTERING -> clustering(s, root, bad);
                default -> retrieval(s, root, bad);
            };
        } catch (IOException e) {
            throw new IOException("eval set " + s.name() + ": " + e.getMessage(), e);
        }
    }

    private static LoadedSet sts(SetConfig s, Path root, BadRecords bad) throws IOException {
        StsPairs p = EvalReaders.stsBenchmark(root.resolve(s.path()), s.maxPairs(), bad);
        if (p.gold().length < 2) {
            throw new IOException(
                    root.resolve(s.path()) + " has " + p.gold().length + " good pairs, need >= 2");
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("pairs", (long) p.gold().length);
        return new LoadedSet(s, null, p, null, null, counts, bad);
    }

    /**
     * Classification: the training pool is the train file, or, with {@code fit_share}, that seeded
     * share of the test file (the rest is scored); the scored rows are capped at {@code max_rows}
     * by a seeded sample.
     */
    private static LoadedSet classification(SetConfig s, Path root, BadRecords bad)
            throws IOException {
        Protocol p = s.protocol();
        Labelled test = LabelledReader.read(root.resolve(s.test()), s.texts(), bad);
        Map<String, Long> counts = new LinkedHashMap<>();
        Labelled fit;
        if (s.train() != null) {
            fit = LabelledReader.read(root.resolve(s.train()), s.texts(), bad);
            counts.put("train_read", (long) fit.size());
            counts.put("test_read", (long) test.size());
        } else {
            List<Integer> order = Labelled.shuffled(test.size(), p.seed(), -1);
            int pool = (int) Math.round(p.fitShare() * test.size());
            counts.put("test_read", (long) test.size());
            fit = test.rows(order.subList(0, pool).stream().sorted().toList());
            test = test.rows(order.subList(pool, order.size()).stream().sorted().toList());
            counts.put("fit_pool", (long) fit.size());
        }
        Labelled scored = test.sample(p.maxRows(), p.seed());
        counts.put("test", (long) scored.size());
        counts.put("labels", fit.distinctLabels());
        if (fit.distinctLabels() < 2 || scored.size() == 0) {
            throw new IOException(
                    "classification needs >= 2 training labels and >= 1 test text, got "
                            + fit.distinctLabels()
                            + " labels and "
                            + scored.size()
                            + " texts");
        }
        return new LoadedSet(s, null, null, fit, scored, counts, bad);
    }

    /** Clustering: the items of {@code path}, capped at {@code max_rows} by a seeded sample. */
    private static LoadedSet clustering(SetConfig s, Path root, BadRecords bad) throws IOException {
        Labelled all = LabelledReader.read(root.resolve(s.path()), s.texts(), bad);
        Labelled items = all.sample(s.protocol().maxRows(), s.protocol().seed());
        if (items.distinctLabels() < 2) {
            throw new IOException("clustering needs >= 2 labels, got " + items.distinctLabels());
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("items_read", (long) all.size());
        counts.put("items", (long) items.size());
        counts.put("labels", items.distinctLabels());
        return new LoadedSet(s, null, null, null, items, counts, bad);
    }

    private static LoadedSet retrieval(SetConfig s, Path root, BadRecords bad) throws IOException {
        Path cf = root.resolve(s.corpus());
        Path qf = root.resolve(s.queries());
        Path rf = root.resolve(s.qrels());
        Map<String, String> corpus =
                EvalConfig.SCIFACT_CSV.equals(s.corpusFormat())
                        ? EvalReaders.scifactCorpus(cf, bad)
                        : EvalReaders.beirCorpus(cf, bad);
        Map<String, String> queries =
                EvalConfig.TSV.equals(s.queriesFormat())
                        ? EvalReaders.tsvQueries(qf, bad)
                        : EvalReaders.beirQueries(qf, bad);
        List<Judgement> qrels =
                EvalConfig.TREC.equals(s.qrelsFormat())
                        ? EvalReaders.trecQrels(rf, bad)
                        : EvalReaders.beirQrels(rf, bad);
        return cap(s, corpus, queries, qrels, rf, bad);
    }

    /**
     * Premise to entailed-hypothesis retrieval: queries are the distinct premises with at least one
     * entailed hypothesis, the corpus is every distinct hypothesis (same text, same id), relevant
     * are the premise's entailed hypotheses.
     */
    private static LoadedSet snli(SetConfig s, Path root, BadRecords bad) throws IOException {
        Path pf = root.resolve(s.premises());
        Path hf = root.resolve(s.hypotheses());
        Path lf = root.resolve(s.labels());
        List<String[]> rows = EvalReaders.alignedLines(pf, hf, lf);
        Map<String, String> premiseIds = new HashMap<>();
        Map<String, String> hypothesisIds = new HashMap<>();
        Map<String, String> queries = new LinkedHashMap<>();
        Map<String, String> corpus = new LinkedHashMap<>();
        List<Judgement> qrels = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            long line = i + 1L;
            if (r[0].isEmpty()) {
                bad.report(pf, line, BadRecords.EMPTY_TEXT, "premise is blank");
                continue;
            }
            if (r[1].isEmpty()) {
                bad.report(hf, line, BadRecords.EMPTY_TEXT, "hypothesis is blank");
                continue;
            }
            if (!SNLI_LABELS.contains(r[2])) {
                bad.report(
                        lf,
                        line,
                        BadRecords.UNKNOWN_LABEL,
                        "'" + r[2] + "' is not one of " + SNLI_LABELS);
                continue;
            }
            String q = premiseIds.computeIfAbsent(r[0], t -> "p" + line);
            queries.putIfAbsent(q, r[0]);
            String d = hypothesisIds.computeIfAbsent(r[1], t -> "h" + line);
            corpus.putIfAbsent(d, r[1]);
            qrels.add(new Judgement(q, d, ENTAILMENT.equals(r[2]) ? 1 : 0, line));
        }
        return cap(s, corpus, queries, qrels, lf, bad);
    }

    static LoadedSet cap(
            SetConfig s,
            Map<String, String> corpus,
            Map<String, String> queries,
            List<Judgement> qrels,
            Path qrelsFile,
            BadRecords bad)
            throws IOException {
        Map<String, Map<String, Integer>> relevant = new HashMap<>();
        long notRelevant = 0;
        for (Judgement j : qrels) {
            if (!queries.containsKey(j.query())) {
                bad.report(qrelsFile, j.line(), BadRecords.UNKNOWN_QUERY, "query " + j.query());
            } else if (!corpus.containsKey(j.doc())) {
                bad.report(qrelsFile, j.line(), BadRecords.UNKNOWN_DOC, "document " + j.doc());
            } else if (j.relevance() <= 0) {
                notRelevant++;
            } else {
                relevant.computeIfAbsent(j.query(), k -> new LinkedHashMap<>())
                        .merge(j.doc(), j.relevance(), Math::max);
            }
        }
        List<String> judged = queries.keySet().stream().filter(relevant::containsKey).toList();
        List<String> keptIds =
                s.maxQueries() > 0 && judged.size() > s.maxQueries()
                        ? judged.subList(0, s.maxQueries())
                        : judged;
        if (keptIds.isEmpty()) {
            throw new IOException("no query has a relevant judgement with a known document");
        }
        Map<String, String> keptQueries = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> keptQrels = new LinkedHashMap<>();
        Set<String> needed = new HashSet<>();
        long pairs = 0;
        for (String q : keptIds) {
            keptQueries.put(q, queries.get(q));
            keptQrels.put(q, Map.copyOf(relevant.get(q)));
            needed.addAll(relevant.get(q).keySet());
            pairs += relevant.get(q).size();
        }
        long others =
                s.maxCorpus() > 0 ? Math.max(0, s.maxCorpus() - needed.size()) : Long.MAX_VALUE;
        Map<String, String> keptCorpus = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : corpus.entrySet()) {
            if (needed.contains(e.getKey())) {
                keptCorpus.put(e.getKey(), e.getValue());
            } else if (others > 0) {
                keptCorpus.put(e.getKey(), e.getValue());
                others--;
            }
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("corpus_read", (long) corpus.size());
        counts.put("queries_read", (long) queries.size());
        counts.put("judgements_read", (long) qrels.size());
        counts.put("judgements_not_relevant", notRelevant);
        counts.put("queries_judged", (long) judged.size());
        counts.put("queries", (long) keptQueries.size());
        counts.put("corpus", (long) keptCorpus.size());
        counts.put("relevant_pairs", pairs);
        counts.put(
                "corpus_over_cap",
                s.maxCorpus() > 0 ? Math.max(0L, needed.size() - (long) s.maxCorpus()) : 0L);
        return new LoadedSet(
                s,
                new Evaluator.RetrievalSet(s.instruction(), keptCorpus, keptQueries, keptQrels),
                null,
                null,
                null,
                counts,
                bad);
    }
}
