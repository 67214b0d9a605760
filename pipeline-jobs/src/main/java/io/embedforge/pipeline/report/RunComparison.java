package io.embedforge.pipeline.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.schema.BlendSummary;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The numbers the report compares with the previous run in the same {@code --out}, so a change of
 * code or configuration shows what it did to the data. Per source: rows the blend read and wrote
 * per training stage, rows the {@code min_negatives} policy dropped, mine-dense's mean negatives
 * and mean positive score, and the mean miner score of the stage-2 negatives. The report keeps them
 * in its own manifest section ({@link ReportSummary#sources}, next to its {@code rejects}); the
 * next report reads that section from the run manifest before its own result replaces it. Only
 * these summary numbers, never rows, reach the driver. Driver only.
 *
 * @param now this run's numbers, source -> quantity -> value
 * @param previous the previous report's, or null when there was none
 */
record RunComparison(Map<String, Map<String, Double>> now, Previous previous) {
    static final String ROWS_IN = "rows_in";
    static final String TOO_FEW_NEGATIVES = BlendSummary.DROP_TOO_FEW_NEGATIVES;
    static final String MEAN_NEGATIVES = "mean_negatives";
    static final String MEAN_POSITIVE_SCORE = "mean_positive_score";
    static final String MEAN_NEGATIVE_SCORE = "mean_negative_score";

    /**
     * What the previous report kept.
     *
     * @param finished when it finished (its manifest section's {@code finished})
     * @param sources its per-source numbers (empty: a report older than the comparison)
     * @param rejects its reject and drop rows per stage and reason
     */
    record Previous(
            String finished,
            Map<String, Map<String, Double>> sources,
            Map<String, Map<String, Long>> rejects) {}

    /**
     * This run's numbers from the blend summary, mine-dense's manifest counters ({@code sources} of
     * its section, possibly missing) and the mean negative score per source of stage 2.
     */
    static Map<String, Map<String, Double>> current(
            BlendSummary blend, JsonNode denseSources, Map<String, Double> meanNegativeScore) {
        Map<String, Map<String, Double>> m = new TreeMap<>();
        blend.rowsIn().forEach((s, n) -> put(m, s, ROWS_IN, n));
        for (String st : new String[] {TrainingContract.STAGE1, TrainingContract.STAGE2}) {
            blend.stage(st).rowsOut().forEach((s, n) -> put(m, s, st, n));
        }
        if (blend.negativesPolicy() != null) {
            blend.negativesPolicy()
                    .tooFewNegatives()
                    .forEach((s, n) -> put(m, s, TOO_FEW_NEGATIVES, n));
        }
        denseSources
                .fields()
                .forEachRemaining(
                        e -> {
                            for (String k : new String[] {MEAN_NEGATIVES, MEAN_POSITIVE_SCORE}) {
                                if (e.getValue().path(k).isNumber()) {
                                    put(m, e.getKey(), k, e.getValue().path(k).asDouble());
                                }
                            }
                        });
        meanNegativeScore.forEach((s, v) -> put(m, s, MEAN_NEGATIVE_SCORE, v));
        return m;
    }

    /** The previous report's numbers from its run-manifest section, or null when it is missing. */
    static Previous previous(JsonNode reportSection) {
        if (reportSection == null || reportSection.isMissingNode() || reportSection.isNull()) {
            return null;
        }
        JsonNode result = reportSection.path("result");
        Map<String, Map<String, Double>> sources = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = result.path("sources").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Map<String, Double> q = new LinkedHashMap<>();
            e.getValue().fields().forEachRemaining(f -> q.put(f.getKey(), f.getValue().asDouble()));
            sources.put(e.getKey(), q);
        }
        Map<String, Map<String, Long>> rejects = new TreeMap<>();
        result.path("rejects")
                .fields()
                .forEachRemaining(e -> rejects.put(e.getKey(), ReportData.longs(e.getValue())));
        return new Previous(reportSection.path("finished").asText(), sources, rejects);
    }

    private static void put(Map<String, Map<String, Double>> m, String source, String k, double v) {
        m.computeIfAbsent(source, x -> new LinkedHashMap<>()).put(k, v);
    }
}
