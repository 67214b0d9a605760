package io.embedforge.pipeline.report;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.schema.BlendSummary;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.RejectsTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/**
 * Renders {@link ReportData} as one static HTML page with PNG charts beside it: no Spark, no I/O,
 * so the page is a function of the data (and testable without a cluster). Driver only.
 */
final class ReportPage {
    /** The page's file name. */
    static final String INDEX = "index.html";

    private final ReportData data;
    private final List<Findings.Finding> findings;
    private final int chartWidth;
    private final StringBuilder body = new StringBuilder();
    private final Map<String, byte[]> charts = new LinkedHashMap<>();

    private ReportPage(ReportData data, List<Findings.Finding> findings, int chartWidth) {
        this.data = data;
        this.findings = findings;
        this.chartWidth = chartWidth;
    }

    /**
     * The page's files: {@link #INDEX} then every chart, by file name, in the order they appear.
     */
    static Map<String, byte[]> render(
            ReportData data, List<Findings.Finding> findings, int chartWidth) {
        ReportPage page = new ReportPage(data, findings, chartWidth);
        page.header();
        page.findings();
        page.timings();
        page.rows();
        page.comparison();
        page.negatives();
        page.positives();
        page.reasons();
        page.labelBalance();
        page.lengths();
        page.tokens();
        page.scores();
        page.batchMixing();
        page.samples();
        page.dropped();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(INDEX, page.page().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        files.putAll(page.charts);
        return files;
    }

    private void header() {
        raw("<h1>EmbedForge data report</h1>");
        raw(
                "<p>profile <b>"
                        + esc(data.profile())
                        + "</b>, seed "
                        + data.seed()
                        + ", git "
                        + esc(data.gitCommit())
                        + "</p>");
    }

    /** 0. The findings box: every problem with its number and a link to its section. */
    private void findings() {
        if (findings.isEmpty()) {
            raw(
                    "<div class=\"findings ok\"><b>Findings: none.</b> Every example has its"
                            + " requested negatives, no rejects above the thresholds, no"
                            + " short positives.</div>");
            return;
        }
        raw("<div class=\"findings bad\"><b>Findings (" + findings.size() + ")</b><ul>");
        for (Findings.Finding f : findings) {
            raw(
                    "<li><b>"
                            + esc(f.where())
                            + "</b>: "
                            + esc(f.what())
                            + " <a href=\"#"
                            + f.anchor()
                            + "\">(see)</a></li>");
        }
        raw("</ul></div>");
    }

    /**
     * Negatives per row (the blend's input, before its policy), per source, with the source's
     * {@code min_negatives} and the rows it dropped; then what mine-dense's widening did.
     */
    private void negatives() {
        BlendSummary.NegativesPolicy policy = data.blend().negativesPolicy();
        raw("<h2 id=" + Findings.NEGATIVES + ">Negatives per row</h2>");
        if (policy == null) {
            raw("<p>(no policy counts in the blend summary)</p>");
            return;
        }
        int k =
                policy.negativesPerRow().values().stream()
                        .flatMap(m -> m.keySet().stream())
                        .mapToInt(Integer::parseInt)
                        .max()
                        .orElse(0);
        StringBuilder head = new StringBuilder("<table><tr><th>source</th>");
        for (int n = 0; n <= k; n++) {
            head.append("<th>").append(n).append("</th>");
        }
        raw(
                head
                        + "<th>min_negatives</th><th>fallback</th><th>filled rows</th>"
                        + "<th>negatives filled</th><th>dropped (too_few_negatives)</th></tr>");
        policy.negativesPerRow()
                .forEach(
                        (source, m) -> {
                            StringBuilder row =
                                    new StringBuilder("<tr><td>" + esc(source) + "</td>");
                            for (int n = 0; n <= k; n++) {
                                row.append("<td class=n>")
                                        .append(m.getOrDefault(String.valueOf(n), 0L))
                                        .append("</td>");
                            }
                            raw(
                                    row
                                            + "<td class=n>"
                                            + policy.minNegatives().get(source)
                                            + "</td><td>"
                                            + orNone(policy.fallback(), source)
                                            + "</td><td class=n>"
                                            + orNone(policy.filledRows(), source)
                                            + "</td><td class=n>"
                                            + orNone(policy.filledNegatives(), source)
                                            + "</td><td class=n>"
                                            + policy.tooFewNegatives().getOrDefault(source, 0L)
                                            + "</td></tr>");
                        });
        raw("</table>");
        denseWidening();
        filters();
    }

    /**
     * mine-dense per source: the candidates each filter removed from the final window (summary keys
     * {@code removed_<filter>}), so a source short of negatives shows which filter took them.
     */
    private void filters() {
        List<String> keys =
                data.dense().values().stream()
                        .flatMap(c -> c.keySet().stream())
                        .filter(k -> k.startsWith(Findings.REMOVED))
                        .distinct()
                        .sorted()
                        .toList();
        if (keys.isEmpty()) {
            return;
        }
        raw(
                "<h3 id="
                        + Findings.FILTERS
                        + ">Candidates removed by the mine-dense filters</h3><p>False-negative"
                        + " filters: "
                        + String.join(", ", Findings.FALSE_NEGATIVE_FILTERS)
                        + ".</p>");
        StringBuilder head = new StringBuilder("<table><tr><th>source</th>");
        keys.forEach(
                k ->
                        head.append("<th>")
                                .append(k.substring(Findings.REMOVED.length()))
                                .append("</th>"));
        raw(head + "</tr>");
        data.dense()
                .forEach(
                        (source, c) -> {
                            StringBuilder row =
                                    new StringBuilder("<tr><td>" + esc(source) + "</td>");
                            keys.forEach(
                                    k ->
                                            row.append("<td class=n>")
                                                    .append(c.getOrDefault(k, 0L))
                                                    .append("</td>"));
                            raw(row + "</tr>");
                        });
        raw("</table>");
    }

    /** mine-dense per source: examples, short of negatives, without, widened. */
    private void denseWidening() {
        if (data.dense().isEmpty()) {
            return;
        }
        raw(
                "<p>mine-dense (after widening the window up to max_range):</p><table><tr>"
                        + "<th>source</th><th>examples</th><th>fewer than requested</th>"
                        + "<th>without negatives</th><th>widened</th></tr>");
        data.dense()
                .forEach(
                        (source, c) ->
                                raw(
                                        "<tr><td>"
                                                + esc(source)
                                                + "</td><td class=n>"
                                                + c.getOrDefault("examples", 0L)
                                                + "</td><td class=n>"
                                                + c.getOrDefault("fewer_than_requested", 0L)
                                                + "</td><td class=n>"
                                                + c.getOrDefault("without_negatives", 0L)
                                                + "</td><td class=n>"
                                                + c.getOrDefault("widened", 0L)
                                                + "</td></tr>"));
        raw("</table>");
    }

    /** Median lengths of queries and positives of each retrieval source (mine-dense). */
    private void positives() {
        raw(
                "<h2 id="
                        + Findings.POSITIVES
                        + ">Retrieval positives (median characters)</h2><table><tr><th>source"
                        + "</th><th>examples</th><th>median query</th><th>median positive</th>"
                        + "</tr>");
        data.retrievalLengths()
                .forEach(
                        (source, l) ->
                                raw(
                                        "<tr><td>"
                                                + esc(source)
                                                + "</td><td class=n>"
                                                + (long) l[0]
                                                + "</td><td class=n>"
                                                + (long) l[1]
                                                + "</td><td class=n>"
                                                + (long) l[2]
                                                + "</td></tr>"));
        raw("</table>");
    }

    /** 1. Stage timings. */
    private void timings() {
        raw("<h2>Stages</h2><table><tr><th>stage</th><th>seconds</th><th>finished</th></tr>");
        for (String[] t : data.timings()) {
            raw(
                    "<tr><td>"
                            + esc(t[0])
                            + "</td><td class=n>"
                            + t[1]
                            + "</td><td>"
                            + esc(t[2])
                            + "</td></tr>");
        }
        raw("</table>");
    }

    /** 2. Rows per source and stage (from the manifest). */
    private void rows() {
        BlendSummary blend = data.blend();
        Map<String, Map<String, Long>> rows = new LinkedHashMap<>();
        for (String st : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            rows.put(st, new TreeMap<>(blend.stage(st).rowsOut()));
        }
        Map<String, Long> in = new TreeMap<>(blend.rowsIn());
        Map<String, Long> dups = drops(BlendSummary.DROP_DUPLICATE);
        Map<String, Long> caps = drops(BlendSummary.DROP_OVER_CAP);
        raw("<h2>Rows per source and stage</h2>");
        raw(
                "<table><tr><th>source</th><th>rows in</th><th>stage1</th><th>stage2</th>"
                        + "<th>stage2 duplicates</th><th>stage2 over cap</th></tr>");
        for (String s : in.keySet()) {
            raw(
                    "<tr><td>"
                            + esc(s)
                            + "</td><td class=n>"
                            + in.get(s)
                            + "</td><td class=n>"
                            + rows.get(TrainingContract.STAGE1).getOrDefault(s, 0L)
                            + "</td><td class=n>"
                            + rows.get(TrainingContract.STAGE2).getOrDefault(s, 0L)
                            + "</td><td class=n>"
                            + dups.getOrDefault(s, 0L)
                            + "</td><td class=n>"
                            + caps.getOrDefault(s, 0L)
                            + "</td></tr>");
        }
        raw(
                "<tr><th>total</th><th class=n>"
                        + ReportData.total(in)
                        + "</th><th class=n>"
                        + blend.stage1().rows()
                        + "</th><th class=n>"
                        + blend.stage2().rows()
                        + "</th><th class=n>"
                        + ReportData.total(dups)
                        + "</th><th class=n>"
                        + ReportData.total(caps)
                        + "</th></tr></table>");
        chart(
                "rows_per_source.png",
                Charts.bars("Rows per source and stage", "source", "rows", rows, chartWidth, true));
    }

    /**
     * 2b. This run against the previous report in the same {@code --out}: per source and quantity,
     * then per stage and reject reason, previous, now and the change.
     */
    private void comparison() {
        RunComparison.Previous prev = data.comparison().previous();
        raw("<h2 id=" + Findings.PREVIOUS + ">Compared with the previous run</h2>");
        if (prev == null) {
            raw("<p>No previous run in this output folder.</p>");
            return;
        }
        raw("<p>Previous report: finished " + esc(prev.finished()) + ".</p>");
        if (prev.sources().isEmpty()) {
            raw("<p>It kept no per-source numbers (an older version): rejects only.</p>");
        } else {
            raw(
                    "<table><tr><th>source</th><th>quantity</th><th>previous</th><th>now</th>"
                            + "<th>change</th></tr>");
            Map<String, Map<String, Double>> now = data.comparison().now();
            java.util.Set<String> sources = new java.util.TreeSet<>(now.keySet());
            sources.addAll(prev.sources().keySet());
            for (String source : sources) {
                Map<String, Double> a = prev.sources().getOrDefault(source, Map.of());
                Map<String, Double> b = now.getOrDefault(source, Map.of());
                java.util.Set<String> keys = new java.util.LinkedHashSet<>(b.keySet());
                keys.addAll(a.keySet());
                keys.forEach(k -> delta(esc(source) + "</td><td>" + k, a.get(k), b.get(k)));
            }
            raw("</table>");
        }
        raw(
                "<table><tr><th>stage</th><th>reason</th><th>previous</th><th>now</th><th>change</th></tr>");
        Map<String, Map<String, Long>> rejects = new TreeMap<>(prev.rejects());
        data.reasons().keySet().forEach(st -> rejects.putIfAbsent(st, Map.of()));
        rejects.forEach(
                (st, a) -> {
                    java.util.Set<String> reasons = new java.util.TreeSet<>(a.keySet());
                    reasons.addAll(data.reasons().getOrDefault(st, Map.of()).keySet());
                    for (String reason : reasons) {
                        Long b = data.reasons().getOrDefault(st, Map.of()).get(reason);
                        delta(
                                esc(st) + "</td><td>" + esc(reason),
                                a.containsKey(reason) ? a.get(reason).doubleValue() : 0.0,
                                b == null ? 0.0 : b.doubleValue());
                    }
                });
        raw("</table>");
    }

    /** One row: label cells, previous, now and now - previous ("-" for a missing side). */
    private void delta(String label, Double previous, Double now) {
        raw(
                "<tr><td>"
                        + label
                        + "</td><td class=n>"
                        + num(previous)
                        + "</td><td class=n>"
                        + num(now)
                        + "</td><td class=n>"
                        + (previous == null || now == null ? "-" : signed(now - previous))
                        + "</td></tr>");
    }

    /** A count as an integer, any other number (mean scores) with 4 decimals; "-" for none. */
    static String num(Double v) {
        if (v == null) {
            return "-";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15
                ? String.valueOf(v.longValue())
                : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String signed(double v) {
        return (v > 0 ? "+" : "") + num(v);
    }

    private Map<String, Long> drops(String reason) {
        Map<String, Long> m = data.blend().stage2().drops().get(reason);
        return m == null ? new TreeMap<>() : new TreeMap<>(m);
    }

    /** 3. Reject and drop reasons (reject tables of every stage + blend drops). */
    private void reasons() {
        raw(
                "<h2 id="
                        + Findings.REJECTS
                        + ">Rejects and drops by reason</h2><table><tr><th>stage</th><th>reason</th>"
                        + "<th>rows</th></tr>");
        Map<String, Map<String, Long>> byReason = new TreeMap<>();
        data.reasons()
                .forEach(
                        (st, m) ->
                                m.forEach(
                                        (reason, n) -> {
                                            raw(
                                                    "<tr><td>"
                                                            + esc(st)
                                                            + "</td><td>"
                                                            + esc(reason)
                                                            + "</td><td class=n>"
                                                            + n
                                                            + "</td></tr>");
                                            byReason.computeIfAbsent(
                                                            Charts.DROPPED, k -> new TreeMap<>())
                                                    .put(st + ": " + reason, n);
                                        }));
        raw("</table>");
        if (!byReason.isEmpty()) {
            chart(
                    "reject_reasons.png",
                    Charts.bars(
                            "Rejects and drops by reason",
                            "stage: reason",
                            "rows",
                            byReason,
                            chartWidth,
                            true));
        }
    }

    /** 4. Label balance before/after stratification (label-negatives summary). */
    private void labelBalance() {
        Map<String, Map<String, Double>> balance = data.labelBalance();
        raw(
                "<h2 id="
                        + Findings.LABELS
                        + ">Label balance (max/min examples per label)</h2><table><tr><th>set</th>"
                        + "<th>labels</th><th>before</th><th>after</th></tr>");
        for (String set : balance.get(Charts.BEFORE).keySet()) {
            raw(
                    "<tr><td>"
                            + esc(set)
                            + "</td><td class=n>"
                            + data.labelCounts().getOrDefault(set, 0)
                            + "</td><td class=n>"
                            + fmt(balance.get(Charts.BEFORE).get(set))
                            + "</td><td class=n>"
                            + fmt(balance.get(Charts.AFTER).getOrDefault(set, 0.0))
                            + "</td></tr>");
        }
        raw("</table>");
        if (!balance.get(Charts.BEFORE).isEmpty()) {
            chart(
                    "label_balance.png",
                    Charts.bars(
                            "Label imbalance (max/min per label) before/after",
                            "set",
                            "max/min",
                            balance,
                            chartWidth,
                            true));
        }
    }

    /** 5. Lengths (characters, log2 buckets) of stage2 queries, positives, negatives. */
    private void lengths() {
        raw("<h2>Text lengths (stage2, characters)</h2>");
        chart(
                "lengths.png",
                Charts.bars(
                        "Text length (chars, bucket = [2^k, 2^(k+1)))",
                        "length bucket",
                        "texts",
                        data.lengths(),
                        chartWidth,
                        false));
    }

    /** 5b. Lengths in tokens of the training tokenizer and the share truncated at max_length. */
    private void tokens() {
        TokenLengths t = data.tokens();
        raw("<h2 id=" + Findings.TOKENS + ">Text lengths (stage2, training tokens)</h2>");
        if (t == null) {
            raw(
                    "<p>Not measured: no <code>stages.report."
                            + ReportParams.TRAIN_CONFIG
                            + "</code> (the training config whose tokenizer and max_length"
                            + " apply).</p>");
            return;
        }
        raw(
                "<p>Training config "
                        + esc(t.trainConfig())
                        + ": max_length "
                        + t.maxLength()
                        + " tokens (BOS and EOS included).</p><table><tr><th>text</th>"
                        + "<th>texts</th><th>truncated</th><th>share</th></tr>");
        t.truncated()
                .forEach(
                        (role, n) ->
                                raw(
                                        "<tr><td>"
                                                + role
                                                + "</td><td class=n>"
                                                + n[0]
                                                + "</td><td class=n>"
                                                + n[1]
                                                + "</td><td class=n>"
                                                + fmt(n[0] == 0 ? 0 : 100.0 * n[1] / n[0])
                                                + "%</td></tr>"));
        raw("</table>");
        chart(
                "tokens.png",
                Charts.bars(
                        "Text length (training tokens, bucket = [2^k, 2^(k+1)))",
                        "length bucket",
                        "texts",
                        t.buckets(),
                        chartWidth,
                        false));
    }

    /**
     * 6. Scores of positives vs mined negatives and the margins, per miner that scores: a table of
     * the numbers (from {@link MinerScores}) and, per miner, a chart of the scores and one of the
     * margins.
     */
    private void scores() {
        raw("<h2 id=scores>Scores: positives vs mined negatives, per miner</h2>");
        raw(
                "<table><tr><th>miner</th><th>positives scored</th><th>mean positive score</th>"
                        + "<th>negatives with a margin</th><th>mean margin</th>"
                        + "<th>margins &lt;= 0</th></tr>");
        data.minerScores()
                .values()
                .forEach(
                        m ->
                                raw(
                                        "<tr><td>"
                                                + m.miner()
                                                + "</td><td class=n>"
                                                + m.positives()
                                                + "</td><td class=n>"
                                                + fmt(m.meanPositive())
                                                + "</td><td class=n>"
                                                + m.margins()
                                                + "</td><td class=n>"
                                                + fmt(m.meanMargin())
                                                + "</td><td class=n>"
                                                + m.nonPositiveMargins()
                                                + "</td></tr>"));
        raw("</table>");
        for (MinerScores m : data.minerScores().values()) {
            Map<String, Map<String, Long>> scores = new LinkedHashMap<>(m.buckets());
            Map<String, Long> margins = scores.remove(Charts.MARGIN);
            chart(
                    "scores_" + m.miner() + ".png",
                    Charts.bars(
                            m.miner() + " (" + m.label() + ") scores: positives vs negatives",
                            "score",
                            "texts",
                            scores,
                            chartWidth,
                            false));
            if (margins != null) {
                chart(
                        "margins_" + m.miner() + ".png",
                        Charts.bars(
                                m.miner()
                                        + " margins: positive score - negative score, per negative",
                                "margin",
                                "negatives",
                                Map.of(Charts.MARGIN, margins),
                                chartWidth,
                                false));
            }
        }
    }

    /** 7. Batch mixing. */
    private void batchMixing() {
        raw(
                "<h2>Batch mixing</h2><table><tr><th>stage</th><th>batches</th>"
                        + "<th>mean sources per batch</th><th>mean largest-source share</th></tr>");
        data.mixing()
                .forEach(
                        (st, m) ->
                                raw(
                                        "<tr><td>"
                                                + st
                                                + "</td><td class=n>"
                                                + (long) m[0]
                                                + "</td><td class=n>"
                                                + fmt(m[1])
                                                + "</td><td class=n>"
                                                + fmt(m[2])
                                                + "</td></tr>"));
        raw("</table>");
        chart(
                "batch_mixing.png",
                Charts.bars(
                        "Distinct sources per batch",
                        "sources in the batch",
                        "batches",
                        data.mixingHistogram(),
                        chartWidth,
                        false));
    }

    /**
     * 8. Sampled examples: query, positive (with its miner's score when the miner scores positives:
     * dense, BM25) and the negatives best first with their miner scores and, where the positive is
     * scored, the margin to it.
     */
    private void samples() {
        raw("<h2 id=samples>Sampled examples (stage2)</h2>");
        for (Row r : data.samples()) {
            String id = r.getAs(TrainingContract.EXAMPLE_ID);
            raw(
                    "<div class=ex><div class=src>"
                            + esc(r.getAs(TrainingContract.SOURCE))
                            + " · "
                            + esc(r.getAs(TrainingContract.TASK_TYPE))
                            + " · miner "
                            + esc(r.getAs(TrainingContract.NEGATIVE_MINER))
                            + " · id "
                            + esc(id)
                            + "</div>");
            raw("<pre>" + esc(r.getAs(TrainingContract.QUERY_TEXT)) + "</pre>");
            String docInstr = r.getAs(TrainingContract.DOCUMENT_INSTRUCTION);
            if (docInstr != null) {
                raw("<div>document instruction: " + esc(docInstr) + "</div>");
            }
            Double pos = data.positiveScores().get(id);
            raw(
                    "<div class=pos>+ "
                            + esc(clip(r.getAs(TrainingContract.POSITIVE)))
                            + (pos == null ? "" : " <i>(score " + fmt(pos) + ")</i>")
                            + "</div><ol>");
            List<String> negs = r.getList(r.fieldIndex(TrainingContract.NEGATIVES));
            List<Double> scores = r.getList(r.fieldIndex(TrainingContract.NEGATIVE_SCORES));
            for (int i = 0; i < negs.size(); i++) {
                Double sc = i < scores.size() ? scores.get(i) : null;
                raw("<li>" + esc(clip(negs.get(i))) + scoreNote(sc, pos) + "</li>");
            }
            raw("</ol></div>");
        }
    }

    /**
     * 9. Examples of rows the blend's {@code min_negatives} policy dropped: the reject rows'
     * location (example id), detail (negatives found, the minimum) and raw query | positive.
     */
    private void dropped() {
        raw("<h2 id=dropped>Dropped rows (" + BlendSummary.DROP_TOO_FEW_NEGATIVES + ")</h2>");
        if (data.dropped().isEmpty()) {
            raw("<p>none</p>");
            return;
        }
        raw("<table><tr><th>source</th><th>row</th><th>why</th><th>query | positive</th></tr>");
        for (Row r : data.dropped()) {
            raw(
                    "<tr><td>"
                            + esc(r.getAs(Columns.SOURCE))
                            + "</td><td>"
                            + esc(r.getAs(RejectsTable.LOCATION))
                            + "</td><td>"
                            + esc(r.getAs(RejectsTable.DETAIL))
                            + "</td><td>"
                            + esc(clip(r.getAs(RejectsTable.RAW)))
                            + "</td></tr>");
        }
        raw("</table>");
    }

    /** The source's entry, or "-" in a summary written before the entry existed. */
    private static String orNone(Map<String, ?> m, String source) {
        return m == null || m.get(source) == null ? "-" : esc(String.valueOf(m.get(source)));
    }

    /** " (score s, margin p - s)" as far as the scores are known. */
    static String scoreNote(Double score, Double positive) {
        if (score == null) {
            return "";
        }
        return " <i>(score "
                + fmt(score)
                + (positive == null ? "" : ", margin " + fmt(positive - score))
                + ")</i>";
    }

    private void chart(String name, byte[] png) {
        charts.put(name, png);
        raw("<p><img src=\"" + name + "\" alt=\"" + name + "\"></p>");
    }

    private void raw(String s) {
        body.append(s).append('\n');
    }

    private String page() {
        return "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                + "<title>EmbedForge data report</title><style>"
                + "body{font-family:sans-serif;margin:2em;max-width:1000px}"
                + "table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
                + "td.n,th.n{text-align:right}"
                + ".ex{border:1px solid #ddd;margin:1em 0;padding:.5em}"
                + ".src{color:#555;font-size:90%}.pos{color:"
                + Charts.css(Charts.POSITIVE)
                + "}"
                + "pre{white-space:pre-wrap;margin:.3em 0}img{max-width:100%}"
                + ".findings{border:2px solid;padding:.5em 1em;margin:1em 0}"
                + ".findings.ok{border-color:#070;background:#efe}"
                + ".findings.bad{border-color:#b00;background:#fee}"
                + "</style></head><body>\n"
                + body
                + "</body></html>\n";
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String clip(String s) {
        return s.length() > 400 ? s.substring(0, 400) + " …" : s;
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }
}
