package io.embedforge.pipeline.dense;

import io.embedforge.pipeline.common.SeededHash;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Picks the hard negatives of one retrieval example from its query's ranked hits. Filters run in a
 * fixed order and each candidate is counted under the first filter that drops it, so the summary
 * says exactly why candidates went:
 *
 * <ol>
 *   <li>{@code positive}: the candidate is a known positive of the query (same document id, or
 *       identical normalised text);
 *   <li>{@code query}: the candidate is the query itself (same id or identical normalised text);
 *   <li>{@code rank_window}: rank below {@code range_min} (ranks beyond the final window are not
 *       looked at, see below);
 *   <li>{@code score_floor} / {@code score_ceiling}: absolute score bounds;
 *   <li>{@code perc_pos}: NV-Retriever TopK-PercPos, score &gt; perc_pos x min positive score;
 *   <li>{@code margin_pos}: NV-Retriever TopK-MarginPos, score &gt; min positive score - margin.
 * </ol>
 *
 * The window starts at [range_min, range_max]. When the filters leave fewer than {@code negatives}
 * survivors there and the hits go further, it doubles (range_max, 2 x range_max, ..., cut to {@code
 * max_range}) until it holds enough or the hits or {@code max_range} end: the final window. Only
 * candidates inside it are counted and sampled, so an example that finds enough in the first window
 * gets exactly what it got before widening existed.
 *
 * <p>The survivors are sampled: {@code top} keeps the best-ranked, {@code random} keeps those with
 * the smallest {@link SeededHash#rank} of (seed, example id, candidate id), so the choice does not
 * depend on partitioning. Chosen negatives are returned in rank order and never padded.
 *
 * <p>Pure and stateless; runs on executors inside the selection step of {@link DenseMiningJob}.
 */
public final class NegativeSelector implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The filters, in the order they apply; {@link #code()} names the summary counter. */
    public enum Filter {
        POSITIVE,
        QUERY,
        RANK_WINDOW,
        SCORE_FLOOR,
        SCORE_CEILING,
        PERC_POS,
        MARGIN_POS;

        /** Summary key: {@code removed_<filter>}. */
        public String code() {
            return "removed_" + name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One hit of the query's retrieval list.
     *
     * @param textId stable id of the candidate's normalised text (the search key)
     * @param docIds document ids sharing that text (sorted; the first is reported)
     * @param text normalised candidate text
     * @param score inner product with the query
     * @param rank 1-based position in the query's retrieval list
     */
    public record Candidate(String textId, List<String> docIds, String text, double score, int rank)
            implements Serializable {}

    /**
     * What the selector knows about an example's query.
     *
     * @param exampleId seeds random sampling
     * @param queryId the query's id
     * @param queryTextId stable id of the query's normalised text
     * @param positiveIds every known positive document id of the query
     * @param positiveTextIds stable ids of every known positive's normalised text
     * @param minPositiveScore the lowest score of the query's positives
     */
    public record Query(
            String exampleId,
            String queryId,
            String queryTextId,
            Set<String> positiveIds,
            Set<String> positiveTextIds,
            double minPositiveScore)
            implements Serializable {}

    /**
     * The chosen negatives (rank order), per filter how many candidates of the final window it
     * removed, the final window and how deep the hits went (the last rank seen).
     */
    public record Selection(List<Candidate> negatives, long[] removed, int window, int hits) {}

    private final DenseParams params;

    public NegativeSelector(DenseParams params) {
        this.params = params;
    }

    /**
     * Selects the negatives of one example from its query's hits (any order): the survivors inside
     * the final {@link #window}, sampled. Hits beyond that window are neither candidates nor
     * counted.
     */
    public Selection select(Query query, List<Candidate> hits) {
        List<Candidate> ranked = new ArrayList<>(hits);
        ranked.sort(Comparator.comparingInt(Candidate::rank));
        Filter[] dropped = new Filter[ranked.size()];
        for (int i = 0; i < dropped.length; i++) {
            dropped[i] = firstFilter(query, ranked.get(i));
        }
        int deepest = ranked.isEmpty() ? 0 : ranked.get(ranked.size() - 1).rank();
        int window = window(ranked, dropped, deepest);
        long[] removed = new long[Filter.values().length];
        List<Candidate> survivors = new ArrayList<>();
        for (int i = 0; i < dropped.length && ranked.get(i).rank() <= window; i++) {
            if (dropped[i] != null) {
                removed[dropped[i].ordinal()]++;
            } else {
                survivors.add(ranked.get(i));
            }
        }
        return new Selection(sample(query, survivors), removed, window, deepest);
    }

    /**
     * The final window: the first of {@code range_max}, 2 x {@code range_max}, 4 x ... (the last
     * step cut to {@code max_range}) that holds {@code negatives} survivors, or where the hits end,
     * or {@code max_range}. A pure function of the ranked list, so the answer is the same whether
     * the hits came from one search of depth {@code max_range} or from the first {@code range_max}.
     */
    private int window(List<Candidate> ranked, Filter[] dropped, int deepest) {
        int window = params.rangeMax();
        int survivors = 0;
        int i = 0;
        while (true) {
            for (; i < dropped.length && ranked.get(i).rank() <= window; i++) {
                if (dropped[i] == null) {
                    survivors++;
                }
            }
            if (survivors >= params.negatives()
                    || window >= params.maxRange()
                    || deepest <= window) {
                return window;
            }
            window = (int) Math.min(2L * window, params.maxRange());
        }
    }

    /** The survivors (rank order) sampled down to {@code negatives}, returned in rank order. */
    private List<Candidate> sample(Query query, List<Candidate> survivors) {
        int n = params.negatives();
        if (survivors.size() <= n) {
            return List.copyOf(survivors);
        }
        if (params.sampling().equals("top")) {
            return List.copyOf(survivors.subList(0, n));
        }
        List<Candidate> shuffled = new ArrayList<>(survivors);
        shuffled.sort(
                Comparator.comparingLong(
                                (Candidate c) ->
                                        SeededHash.rank(
                                                params.seed(), query.exampleId(), c.textId()))
                        .thenComparing(Candidate::textId));
        List<Candidate> chosen = new ArrayList<>(shuffled.subList(0, n));
        chosen.sort(Comparator.comparingInt(Candidate::rank));
        return List.copyOf(chosen);
    }

    private Filter firstFilter(Query q, Candidate c) {
        if (q.positiveTextIds().contains(c.textId())) {
            return Filter.POSITIVE;
        }
        for (String id : c.docIds()) {
            if (q.positiveIds().contains(id)) {
                return Filter.POSITIVE;
            }
        }
        if (c.textId().equals(q.queryTextId()) || c.docIds().contains(q.queryId())) {
            return Filter.QUERY;
        }
        if (c.rank() < params.rangeMin()) {
            return Filter.RANK_WINDOW;
        }
        if (params.scoreFloor() != null && c.score() < params.scoreFloor()) {
            return Filter.SCORE_FLOOR;
        }
        if (params.scoreCeiling() != null && c.score() > params.scoreCeiling()) {
            return Filter.SCORE_CEILING;
        }
        double minPos = q.minPositiveScore();
        if (params.positiveFilter().equals("perc_pos") && c.score() > params.percPos() * minPos) {
            return Filter.PERC_POS;
        }
        if (params.positiveFilter().equals("margin_pos")
                && c.score() > minPos - params.marginPos()) {
            return Filter.MARGIN_POS;
        }
        return null;
    }
}
