package io.embedforge.pipeline.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.schema.BlendSummary;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The findings' thresholds on hand-made report data, and the green box of a clean run. */
class FindingsTest {
    private static BlendSummary.TrainingStage stage(long rows) {
        return new BlendSummary.TrainingStage(
                true,
                Map.of("a", rows),
                Map.of(),
                Map.of("a", rows),
                "stage",
                Map.of("a", rows),
                rows,
                Map.of("7", rows),
                1);
    }

    /** 100 rows of source a, all with 7 negatives, and whatever problems the arguments plant. */
    private static ReportData data(
            Map<String, Map<String, Long>> reasons,
            Map<String, Double> imbalanceAfter,
            Map<String, double[]> lengths) {
        return data(reasons, imbalanceAfter, lengths, null, null);
    }

    /** The same, with source a's fallback filling {@code filledRows} rows (null: no counts). */
    private static ReportData data(
            Map<String, Map<String, Long>> reasons,
            Map<String, Double> imbalanceAfter,
            Map<String, double[]> lengths,
            Long filledRows,
            Long filledNegatives) {
        BlendSummary blend =
                new BlendSummary(
                        1L,
                        Map.of(),
                        Map.of("mine-dense", Map.of("a", 100L)),
                        Map.of("a", 100L),
                        0,
                        new BlendSummary.NegativesPolicy(
                                Map.of("a", 7L),
                                Map.of("a", 0L),
                                Map.of("a", Map.of("7", 100L)),
                                filledRows == null ? null : Map.of("a", "random"),
                                filledRows == null ? null : Map.of("a", filledRows),
                                filledRows == null ? null : Map.of("a", filledNegatives)),
                        stage(100),
                        stage(100));
        Map<String, Map<String, Long>> lengthHist = Map.of(Charts.QUERY, Map.of("1", 1L));
        Map<String, Map<String, Long>> batchHist = Map.of("stage1", Map.of("1", 1L));
        return new ReportData(
                "p",
                "1",
                "git",
                List.of(),
                blend,
                reasons,
                Map.of("before", imbalanceAfter, "after", imbalanceAfter),
                Map.of(),
                lengthHist,
                Map.of(),
                Map.of("stage1", new double[] {1, 1, 1}),
                batchHist,
                List.of(),
                List.of(),
                Map.of(),
                Map.of("a", Map.of("examples", 100L, "without_negatives", 0L)),
                lengths,
                new RunComparison(Map.of(), null),
                null);
    }

    private static List<String> lines(ReportData d) {
        return Findings.of(d, ReportParams.defaults()).stream()
                .map(Findings.Finding::line)
                .toList();
    }

    @Test
    void aCleanRunHasAGreenBox() {
        ReportData d = data(Map.of(), Map.of("set", 1.5), Map.of("a", new double[] {100, 60, 40}));
        assertEquals(List.of(), lines(d));
        String html =
                new String(
                        ReportPage.render(d, List.of(), 300).get(ReportPage.INDEX),
                        StandardCharsets.UTF_8);
        assertTrue(html.contains("<div class=\"findings ok\"><b>Findings: none.</b>"), html);
    }

    @Test
    void rowsTheFallbackFilledAreAFinding() {
        assertEquals(List.of(), lines(data(Map.of(), Map.of(), Map.of(), 0L, 0L)));
        assertEquals(
                List.of(
                        "blend / a: 3 rows filled by the fallback miner random with 10 negatives"
                                + " (seeded random texts, not hard negatives)"),
                lines(data(Map.of(), Map.of(), Map.of(), 3L, 10L)));
    }

    @Test
    void thresholdsDecideWhatIsAFinding() {
        // 1% of the 100 rows read: 2 rejects of one reason are a finding, 1 is not, 'filtered'
        // (asked for by the configuration) never; any decontamination drop is; blend drops are the
        // policy's. An NLI-like positive (about half its query) is not short.
        ReportData d =
                data(
                        Map.of(
                                "ingest",
                                Map.of("malformed_record", 2L, "empty_text", 1L, "filtered", 9L),
                                "decontaminate",
                                Map.of("eval_overlap", 1L),
                                "blend/stage2",
                                Map.of("duplicate_query_positive", 50L)),
                        Map.of("set", 2.5),
                        Map.of(
                                "short", new double[] {10, 40, 12},
                                "third", new double[] {10, 100, 30},
                                "nli", new double[] {10, 65, 32}));
        assertEquals(
                List.of(
                        "decontaminate: 1 decontamination drops: eval_overlap",
                        "ingest: 2 rejects: malformed_record",
                        "label-negatives / set: label imbalance 2.50 (max/min examples per label)"
                                + " after stratification",
                        "mine-dense / short: 12 characters: median positive of a retrieval source"
                                + " (answer strings, not passages?)",
                        "mine-dense / third: 30 characters: median positive, under a third of the"
                                + " median query (100)"),
                lines(d).stream().sorted().toList());
    }

    @Test
    void falseNegativeFilterRemovalsAreAFindingWhenManyExamplesAreShort() {
        ReportData clean = data(Map.of(), Map.of(), Map.of());
        for (long fewer : new long[] {1, 2}) {
            ReportData d =
                    new ReportData(
                            clean.profile(),
                            clean.seed(),
                            clean.gitCommit(),
                            clean.timings(),
                            clean.blend(),
                            clean.reasons(),
                            clean.labelBalance(),
                            clean.labelCounts(),
                            clean.lengths(),
                            clean.minerScores(),
                            clean.mixing(),
                            clean.mixingHistogram(),
                            clean.samples(),
                            clean.dropped(),
                            clean.positiveScores(),
                            Map.of(
                                    "a",
                                    Map.of(
                                            "examples", 100L,
                                            "fewer_than_requested", fewer,
                                            "requested_negatives", 7L,
                                            "removed_perc_pos", 500L,
                                            "removed_margin_pos", 20L,
                                            "removed_positive", 100L)),
                            clean.retrievalLengths(),
                            clean.comparison(),
                            null);
            List<String> filters =
                    lines(d).stream().filter(l -> l.contains("false-negative")).toList();
            // 1% of 100 examples: 1 short is not many, 2 are; perc_pos + margin_pos, not positive
            assertEquals(
                    fewer == 1
                            ? List.of()
                            : List.of(
                                    "mine-dense / a: 520 candidates removed by the false-negative"
                                            + " filters (perc_pos, margin_pos, rank_window) of a"
                                            + " source short of negatives"),
                    filters);
        }
    }

    @Test
    void truncationAboveTheShareIsAFinding() {
        ReportData c = data(Map.of(), Map.of(), Map.of());
        TokenLengths tokens =
                new TokenLengths(
                        "train.yaml",
                        64,
                        Map.of(Charts.QUERY, Map.of("16", 100L)),
                        Map.of(
                                Charts.QUERY, new long[] {100, 1},
                                Charts.POSITIVE, new long[] {100, 5}));
        ReportData d =
                new ReportData(
                        c.profile(),
                        c.seed(),
                        c.gitCommit(),
                        c.timings(),
                        c.blend(),
                        c.reasons(),
                        c.labelBalance(),
                        c.labelCounts(),
                        c.lengths(),
                        c.minerScores(),
                        c.mixing(),
                        c.mixingHistogram(),
                        c.samples(),
                        c.dropped(),
                        c.positiveScores(),
                        c.dense(),
                        c.retrievalLengths(),
                        c.comparison(),
                        tokens);
        assertEquals(
                List.of(
                        "train / positive: 5 of 100 stage-2 texts longer than max_length=64 tokens"
                                + " (truncated in training)"),
                lines(d));
        String html =
                new String(
                        ReportPage.render(d, List.of(), 300).get(ReportPage.INDEX),
                        StandardCharsets.UTF_8);
        assertTrue(
                html.contains(
                        "<tr><td>positive</td><td class=n>100</td><td class=n>5</td>"
                                + "<td class=n>5.00%</td></tr>"),
                html);
    }
}
