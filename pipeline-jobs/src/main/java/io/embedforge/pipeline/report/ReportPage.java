package io.embedforge.pipeline.report;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.schema.BlendSummary;
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
        page.negatives();
        page.positives();
        page.reasons();
        page.labelBalance();
        page.lengths();
        page.scores();
        page.batchMixing();
        page.samples();
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
        raw(head + "<th>min_negatives</th><th>dropped (too_few_negatives)</th></tr>");
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
                                            + "</td><td class=n>"
                                            + policy.tooFewNegatives().getOrDefault(source, 0L)
                                            + "</td></tr>");
                        });
        raw("</table>");
        denseWidening();
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
                                            byReason.computeIfAbsent("rows", k -> new TreeMap<>())
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
        for (String set : balance.get("before").keySet()) {
            raw(
                    "<tr><td>"
                            + esc(set)
                            + "</td><td class=n>"
                            + data.labelCounts().getOrDefault(set, 0)
                            + "</td><td class=n>"
                            + fmt(balance.get("before").get(set))
                            + "</td><td class=n>"
                            + fmt(balance.get("after").getOrDefault(set, 0.0))
                            + "</td></tr>");
        }
        raw("</table>");
        if (!balance.get("before").isEmpty()) {
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

    /** 6. Scores of positives vs mined negatives, per miner. */
    private void scores() {
        raw("<h2>Scores: positives vs mined negatives</h2>");
        if (data.denseScores() != null) {
            Map<String, Map<String, Long>> scores = new LinkedHashMap<>(data.denseScores());
            Map<String, Long> margins = scores.remove(ReportData.MARGIN);
            chart(
                    "scores_dense.png",
                    Charts.bars(
                            "Dense (cosine) scores: positives vs negatives",
                            "score",
                            "texts",
                            scores,
                            chartWidth,
                            false));
            if (margins != null) {
                chart(
                        "margins_dense.png",
                        Charts.bars(
                                "Dense margins: positive score - negative score, per negative",
                                "margin",
                                "negatives",
                                Map.of(ReportData.MARGIN, margins),
                                chartWidth,
                                false));
            }
        }
        if (data.bm25Scores() != null) {
            raw("<p>BM25 scores are kept for negatives only (the STS positive is not scored).</p>");
            chart(
                    "scores_bm25.png",
                    Charts.bars(
                            "BM25 scores of mined negatives",
                            "score",
                            "texts",
                            data.bm25Scores(),
                            chartWidth,
                            false));
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

    /** 8. Sampled examples. */
    private void samples() {
        raw("<h2>Sampled examples (stage2)</h2>");
        for (Row r : data.samples()) {
            raw(
                    "<div class=ex><div class=src>"
                            + esc(r.getAs(TrainingContract.SOURCE))
                            + " · "
                            + esc(r.getAs(TrainingContract.TASK_TYPE))
                            + " · miner "
                            + esc(r.getAs(TrainingContract.NEGATIVE_MINER))
                            + "</div>");
            raw("<pre>" + esc(r.getAs(TrainingContract.QUERY_TEXT)) + "</pre>");
            String docInstr = r.getAs(TrainingContract.DOCUMENT_INSTRUCTION);
            if (docInstr != null) {
                raw("<div>document instruction: " + esc(docInstr) + "</div>");
            }
            raw("<div class=pos>+ " + esc(clip(r.getAs(TrainingContract.POSITIVE))) + "</div><ol>");
            List<String> negs = r.getList(r.fieldIndex(TrainingContract.NEGATIVES));
            List<Double> scores = r.getList(r.fieldIndex(TrainingContract.NEGATIVE_SCORES));
            for (int i = 0; i < negs.size(); i++) {
                Double sc = i < scores.size() ? scores.get(i) : null;
                raw(
                        "<li>"
                                + esc(clip(negs.get(i)))
                                + (sc == null ? "" : " <i>(" + fmt(sc) + ")</i>")
                                + "</li>");
            }
            raw("</ol></div>");
        }
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
                + ".src{color:#555;font-size:90%}.pos{color:#070}"
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
