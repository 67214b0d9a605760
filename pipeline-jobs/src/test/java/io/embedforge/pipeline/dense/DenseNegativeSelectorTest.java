package io.embedforge.pipeline.dense;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.stage.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Each selection filter on hand-made hits, with the counters it reports. */
class DenseNegativeSelectorTest {
    /** Ten hits d1..d10 with scores 0.90, 0.85, ..., 0.45 at ranks 1..10. */
    private static List<NegativeSelector.Candidate> hits() {
        List<NegativeSelector.Candidate> out = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            out.add(
                    new NegativeSelector.Candidate(
                            "t" + i, List.of("d" + i), "text " + i, 0.95 - 0.05 * i, i));
        }
        return out;
    }

    private static NegativeSelector.Query query(double minPos) {
        return new NegativeSelector.Query("ex1", "q1", "t3", Set.of("d1"), Set.of("t2"), minPos);
    }

    private static List<String> ids(NegativeSelector.Selection s) {
        return s.negatives().stream().map(c -> c.docIds().get(0)).collect(Collectors.toList());
    }

    private static long removed(NegativeSelector.Selection s, NegativeSelector.Filter f) {
        return s.removed()[f.ordinal()];
    }

    @Test
    void positivesByIdAndTextAndTheQueryAreExcluded() {
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.POSITIVE_FILTER,
                        "none",
                        DenseParams.NEGATIVES,
                        3);
        NegativeSelector.Selection s = new NegativeSelector(p).select(query(0.9), hits());
        assertEquals(List.of("d4", "d5", "d6"), ids(s));
        assertEquals(2, removed(s, NegativeSelector.Filter.POSITIVE));
        assertEquals(1, removed(s, NegativeSelector.Filter.QUERY));
    }

    @Test
    void rankWindowAndScoreBoundsApply() {
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.POSITIVE_FILTER,
                        "none",
                        DenseParams.RANGE_MIN,
                        5,
                        DenseParams.RANGE_MAX,
                        9,
                        DenseParams.MAX_RANGE,
                        9,
                        DenseParams.SCORE_CEILING,
                        0.65,
                        DenseParams.SCORE_FLOOR,
                        0.52);
        NegativeSelector.Selection s = new NegativeSelector(p).select(query(0.9), hits());
        // ranks 5..9 have scores 0.70 .. 0.50: 0.70 above the ceiling, 0.50 below the floor.
        assertEquals(List.of("d6", "d7", "d8"), ids(s));
        // Rank 4 is below range_min; rank 10 lies beyond the final window (9): not looked at.
        assertEquals(1, removed(s, NegativeSelector.Filter.RANK_WINDOW));
        assertEquals(9, s.window());
        assertEquals(1, removed(s, NegativeSelector.Filter.SCORE_CEILING));
        assertEquals(1, removed(s, NegativeSelector.Filter.SCORE_FLOOR));
    }

    @Test
    void percPosDropsCandidatesAboveTheFractionOfTheLowestPositive() {
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.PERC_POS,
                        0.9,
                        DenseParams.NEGATIVES,
                        2);
        // 0.9 * 0.8 = 0.72: d4 (0.75) goes, d5 (0.70) stays.
        NegativeSelector.Selection s = new NegativeSelector(p).select(query(0.8), hits());
        assertEquals(List.of("d5", "d6"), ids(s));
        assertEquals(1, removed(s, NegativeSelector.Filter.PERC_POS));
    }

    @Test
    void marginPosDropsCandidatesWithinTheMargin() {
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.POSITIVE_FILTER,
                        "margin_pos",
                        DenseParams.MARGIN_POS,
                        0.12,
                        DenseParams.NEGATIVES,
                        1);
        // 0.8 - 0.12 = 0.68: d4 (0.75) and d5 (0.70) go.
        NegativeSelector.Selection s = new NegativeSelector(p).select(query(0.8), hits());
        assertEquals(List.of("d6"), ids(s));
        assertEquals(2, removed(s, NegativeSelector.Filter.MARGIN_POS));
    }

    @Test
    void neverPadsWhenTooFewSurvive() {
        DenseParams p = Settings.with(DenseParams.defaults(), DenseParams.NEGATIVES, 7);
        NegativeSelector.Selection s = new NegativeSelector(p).select(query(0.5), hits());
        // 0.95 * 0.5 = 0.475: only d10 (0.45) survives.
        assertEquals(List.of("d10"), ids(s));
    }

    @Test
    void randomSamplingIsSeededByExampleAndReturnsRankOrder() {
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.POSITIVE_FILTER,
                        "none",
                        DenseParams.SAMPLING,
                        "random",
                        DenseParams.NEGATIVES,
                        3);
        NegativeSelector selector = new NegativeSelector(p);
        List<String> a = ids(selector.select(query(0.9), hits()));
        List<String> b = ids(new NegativeSelector(p).select(query(0.9), hits()));
        assertEquals(a, b);
        assertEquals(3, a.size());
        List<String> sorted = new ArrayList<>(a);
        sorted.sort(
                (x, y) ->
                        Integer.compare(
                                Integer.parseInt(x.substring(1)),
                                Integer.parseInt(y.substring(1))));
        assertEquals(sorted, a);
        DenseParams other = Settings.with(p, Settings.SEED, 7);
        boolean differs = false;
        for (int seed = 0; seed < 20 && !differs; seed++) {
            differs =
                    !ids(new NegativeSelector(Settings.with(other, Settings.SEED, seed))
                                    .select(query(0.9), hits()))
                            .equals(a);
        }
        assertTrue(differs, "some seed gives another sample");
    }

    /**
     * {@code n} hits t1..tn, score 0.90005 - 0.0001 x rank: with a lowest positive score of 0.8 and
     * PercPos 0.95 (0.76), the first 1400 ranks are false-negative candidates and are filtered.
     */
    private static List<NegativeSelector.Candidate> deepHits(int n) {
        List<NegativeSelector.Candidate> out = new ArrayList<>();
        for (int i = n; i >= 1; i--) { // any order
            out.add(
                    new NegativeSelector.Candidate(
                            "t" + i, List.of("d" + i), "text " + i, 0.90005 - 0.0001 * i, i));
        }
        return out;
    }

    @Test
    void windowDoublesUntilTheFiltersLeaveEnoughNegatives() {
        DenseParams p =
                Settings.with(
                        DenseParams.defaults(),
                        DenseParams.RANGE_MAX,
                        50,
                        DenseParams.NEGATIVES,
                        3);
        NegativeSelector.Query q = query(0.8);
        // Ranks 1..1400 score above 0.76; 1401.. survive. 50 -> 100 -> ... -> 1600 > 1000: capped.
        NegativeSelector.Selection capped = new NegativeSelector(p).select(q, deepHits(2000));
        assertEquals(1000, capped.window());
        assertEquals(List.of(), ids(capped), "max_range 1000 is respected");
        assertEquals(1000 - 3, removed(capped, NegativeSelector.Filter.PERC_POS));

        DenseParams wide = Settings.with(p, DenseParams.MAX_RANGE, 2000);
        NegativeSelector.Selection s = new NegativeSelector(wide).select(q, deepHits(2000));
        assertEquals(1600, s.window(), "50 x 2^5");
        assertEquals(List.of("d1401", "d1402", "d1403"), ids(s));
        assertEquals(2000, s.hits());
        // Hits beyond the final window are neither candidates nor counted.
        assertEquals(1400 - 3, removed(s, NegativeSelector.Filter.PERC_POS));

        // Hits that end before the cap stop the widening there.
        NegativeSelector.Selection shallow = new NegativeSelector(wide).select(q, deepHits(120));
        assertEquals(200, shallow.window());
        assertEquals(List.of(), ids(shallow));

        // Off: max_range = range_max keeps the fixed window.
        DenseParams off = Settings.with(p, DenseParams.MAX_RANGE, 50);
        assertEquals(50, new NegativeSelector(off).select(q, deepHits(2000)).window());
    }

    @Test
    void anExampleWithEnoughNegativesInTheFirstWindowIsUnchanged() {
        DenseParams p = Settings.with(DenseParams.defaults(), DenseParams.NEGATIVES, 2);
        NegativeSelector.Selection s = new NegativeSelector(p).select(query(0.9), hits());
        assertEquals(50, s.window());
        assertEquals(List.of("d4", "d5"), ids(s));
    }
}
