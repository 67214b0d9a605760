package io.embedforge.pipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The ingest counts as the log shows them: an aligned table, not record dumps. */
class IngestReportTableTest {
    @Test
    void oneAlignedLinePerSourceAndRoleWithRejectsByReason() {
        Map<String, Long> rejects = new TreeMap<>(Map.of("unknown_label", 1L, "empty_text", 2L));
        IngestReport report =
                new IngestReport(
                        List.of(
                                source(
                                        "banking77",
                                        new IngestReport.RoleCounts(
                                                "records",
                                                "classification",
                                                19,
                                                0,
                                                15,
                                                1,
                                                rejects)),
                                source(
                                        "msmarco",
                                        new IngestReport.RoleCounts(
                                                "qrels",
                                                "retrieval",
                                                1300,
                                                2,
                                                1302,
                                                0,
                                                Map.of()))));
        assertEquals(
                String.join(
                        "\n",
                        "  source     input    table           read  expanded  written  duplicates"
                                + "  rejected  reject reasons",
                        "  banking77  records  classification    19         0       15           1"
                                + "         3  empty_text=2, unknown_label=1",
                        "  msmarco    qrels    retrieval       1300         2     1302           0"
                                + "         0"),
                report.table());
    }

    private static IngestReport.SourceCounts source(String name, IngestReport.RoleCounts counts) {
        return new IngestReport.SourceCounts(
                name, name, "classification", "train", List.of(counts), List.of());
    }
}
