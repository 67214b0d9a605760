package io.embedforge.pipeline.report;

import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.stage.StageId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What is wrong with the data, for the box at the top of the report: every problem with its number,
 * taken from the same manifest counters and aggregates the page's sections show, and the section
 * that shows it. A pure function of {@link ReportData} and the thresholds of {@link ReportParams};
 * driver only.
 *
 * <p>Listed: examples that mine-dense left without or short of the requested negatives (after
 * widening), and, when more than {@code reject_share} of a source's examples are short, what the
 * false-negative filters removed from their windows; rows the blend read with no negatives or fewer
 * than the source's {@code min_negatives} (dropped); decontamination drops; other rejects of one
 * reason above {@code reject_share} of the rows the blend read; label sets more imbalanced than
 * {@code max_label_imbalance} after stratification; retrieval sources whose median positive is
 * shorter than {@code short_positive_chars} or than half their median query (answer strings rather
 * than passages, as in NQ-open).
 */
final class Findings {
    /** Section anchors of the page. */
    static final String NEGATIVES = "negatives";

    static final String REJECTS = "rejects";
    static final String LABELS = "labels";
    static final String POSITIVES = "positives";
    static final String FILTERS = "filters";
    static final String PREVIOUS = "previous";
    static final String TOKENS = "tokens";

    /** Prefix of mine-dense's per-filter counters ({@code removed_<filter>}). */
    static final String REMOVED = "removed_";

    /**
     * The positive-aware (false-negative) filters among them: a source short of negatives whose
     * candidates these removed is a finding. Named as in mine-dense's summary; the report reads the
     * manifest, not the dense package (sibling stages do not depend on each other).
     */
    static final List<String> FALSE_NEGATIVE_FILTERS =
            List.of("perc_pos", "margin_pos", "rank_window");

    /** Reject reason of records the configuration excludes (filter, min_relevance). */
    private static final String FILTERED = "filtered";

    /**
     * One problem.
     *
     * @param where stage and source (or set)
     * @param what what is wrong, with the number in it
     * @param number the number, as the page shows it elsewhere
     * @param anchor the section that shows it
     */
    record Finding(String where, String what, String number, String anchor) {
        /** One line of plain text (the manifest's copy of the box). */
        String line() {
            return where + ": " + what;
        }
    }

    private Findings() {}

    /** Every finding, in the order of the page's sections. */
    static List<Finding> of(ReportData d, ReportParams p) {
        List<Finding> out = new ArrayList<>();
        dense(d, p, out);
        policy(d.blend().negativesPolicy(), out);
        rejects(d, p, out);
        labels(d, p, out);
        positives(d, p, out);
        truncation(d, p, out);
        return out;
    }

    private static void dense(ReportData d, ReportParams p, List<Finding> out) {
        d.dense()
                .forEach(
                        (source, c) -> {
                            long none = c.getOrDefault("without_negatives", 0L);
                            long fewer = c.getOrDefault("fewer_than_requested", 0L);
                            long requested = c.getOrDefault("requested_negatives", 0L);
                            String where = StageId.MINE_DENSE.id() + " / " + source;
                            if (none > 0) {
                                out.add(
                                        finding(
                                                where,
                                                none,
                                                "examples without negatives",
                                                NEGATIVES));
                            }
                            if (fewer > none) {
                                out.add(
                                        finding(
                                                where,
                                                fewer,
                                                "examples with fewer than "
                                                        + requested
                                                        + " negatives",
                                                NEGATIVES));
                            }
                            long removed =
                                    FALSE_NEGATIVE_FILTERS.stream()
                                            .mapToLong(f -> c.getOrDefault(REMOVED + f, 0L))
                                            .sum();
                            // a source with more than reject_share of its examples short
                            if (fewer > p.rejectShare() * c.getOrDefault("examples", 0L)
                                    && removed > 0) {
                                out.add(
                                        finding(
                                                where,
                                                removed,
                                                "candidates removed by the false-negative filters"
                                                        + " ("
                                                        + String.join(", ", FALSE_NEGATIVE_FILTERS)
                                                        + ") of a source short of negatives",
                                                FILTERS));
                            }
                        });
    }

    private static void policy(BlendSummary.NegativesPolicy policy, List<Finding> out) {
        if (policy == null) {
            return;
        }
        policy.negativesPerRow()
                .forEach(
                        (source, perRow) -> {
                            String where = StageId.BLEND.id() + " / " + source;
                            long zero = perRow.getOrDefault("0", 0L);
                            if (zero > 0) {
                                out.add(
                                        finding(
                                                where,
                                                zero,
                                                "rows read with 0 negatives",
                                                NEGATIVES));
                            }
                            long filled =
                                    policy.filledRows() == null
                                            ? 0
                                            : policy.filledRows().getOrDefault(source, 0L);
                            if (filled > 0) {
                                out.add(
                                        finding(
                                                where,
                                                filled,
                                                "rows filled by the fallback miner "
                                                        + policy.fallback().get(source)
                                                        + " with "
                                                        + policy.filledNegatives().get(source)
                                                        + " negatives (seeded random texts, not"
                                                        + " hard negatives)",
                                                NEGATIVES));
                            }
                            long dropped = policy.tooFewNegatives().getOrDefault(source, 0L);
                            if (dropped > 0) {
                                out.add(
                                        finding(
                                                where,
                                                dropped,
                                                "rows with fewer than min_negatives="
                                                        + policy.minNegatives().get(source)
                                                        + " negatives, dropped ("
                                                        + BlendSummary.DROP_TOO_FEW_NEGATIVES
                                                        + ")",
                                                NEGATIVES));
                            }
                        });
    }

    private static void rejects(ReportData d, ReportParams p, List<Finding> out) {
        double limit = p.rejectShare() * ReportData.total(d.blend().rowsIn());
        d.reasons()
                .forEach(
                        (stage, byReason) ->
                                byReason.forEach(
                                        (reason, n) -> {
                                            boolean decontam =
                                                    stage.equals(StageId.DECONTAMINATE.id());
                                            // blend's own drops are listed by the policy above or
                                            // are by design (duplicates, caps)
                                            boolean blend = stage.startsWith(StageId.BLEND.id());
                                            boolean asked = reason.equals(FILTERED);
                                            if (!blend
                                                    && !asked
                                                    && (decontam ? n > 0 : n > limit)) {
                                                out.add(
                                                        finding(
                                                                stage,
                                                                n,
                                                                (decontam
                                                                                ? "decontamination"
                                                                                        + " drops: "
                                                                                : "rejects: ")
                                                                        + reason,
                                                                REJECTS));
                                            }
                                        }));
    }

    private static void labels(ReportData d, ReportParams p, List<Finding> out) {
        Map<String, Double> after = d.labelBalance().getOrDefault(Charts.AFTER, Map.of());
        after.forEach(
                (set, ratio) -> {
                    if (ratio > p.maxLabelImbalance()) {
                        out.add(
                                new Finding(
                                        StageId.LABEL_NEGATIVES.id() + " / " + set,
                                        "label imbalance "
                                                + ReportPage.fmt(ratio)
                                                + " (max/min examples per label) after"
                                                + " stratification",
                                        ReportPage.fmt(ratio),
                                        LABELS));
                    }
                });
    }

    private static void positives(ReportData d, ReportParams p, List<Finding> out) {
        d.retrievalLengths()
                .forEach(
                        (source, l) -> {
                            long query = (long) l[1];
                            long positive = (long) l[2];
                            String where = StageId.MINE_DENSE.id() + " / " + source;
                            if (positive < p.shortPositiveChars()) {
                                out.add(
                                        finding(
                                                where,
                                                positive,
                                                "characters: median positive of a retrieval"
                                                        + " source (answer strings, not passages?)",
                                                POSITIVES));
                            } else if (3 * positive < query) {
                                out.add(
                                        finding(
                                                where,
                                                positive,
                                                "characters: median positive, under a third of"
                                                        + " the median query ("
                                                        + query
                                                        + ")",
                                                POSITIVES));
                            }
                        });
    }

    /** Texts of a role the training max_length truncates, above reject_share of the role's. */
    private static void truncation(ReportData d, ReportParams p, List<Finding> out) {
        if (d.tokens() == null) {
            return;
        }
        d.tokens()
                .truncated()
                .forEach(
                        (role, n) -> {
                            if (n[1] > p.rejectShare() * n[0]) {
                                out.add(
                                        finding(
                                                "train / " + role,
                                                n[1],
                                                "of "
                                                        + n[0]
                                                        + " stage-2 texts longer than max_length="
                                                        + d.tokens().maxLength()
                                                        + " tokens (truncated in training)",
                                                TOKENS));
                            }
                        });
    }

    private static Finding finding(String where, long n, String what, String anchor) {
        return new Finding(where, n + " " + what, String.valueOf(n), anchor);
    }
}
