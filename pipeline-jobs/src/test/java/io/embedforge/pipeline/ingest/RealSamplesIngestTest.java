package io.embedforge.pipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest of the real public samples in {@code ../shared/data} ({@code conf/real-samples.yaml}).
 * Expected numbers come from {@code PROVENANCE.md} and from counting the files with shell tools;
 * the test skips when the folder is absent.
 */
@Tag("slow")
class RealSamplesIngestTest extends SparkTestBase {
    @TempDir static Path out;

    private static IngestReport report;

    @BeforeAll
    static void ingest() {
        assumeTrue(sharedData() != null, "../shared/data is absent: real-sample tests skipped");
        PipelineConfig config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/real-samples.yaml"),
                        ConfigLoader.Overrides.none());
        report =
                IngestJob.ingest(
                        StageContext.direct(spark(), config, StageId.INGEST, out.toString()));
    }

    @Test
    void everyRecordOfEverySampleIsAccountedFor() {
        int roles = 0;
        for (IngestReport.SourceCounts s : report.sources()) {
            for (IngestReport.RoleCounts r : s.inputs()) {
                assertTrue(r.reconciles(), s.source() + "/" + r.role() + ": " + r);
                assertTrue(r.read() > 0, s.source() + "/" + r.role() + " read nothing");
                roles++;
            }
        }
        assertTrue(roles > 30, "roles: " + roles);
    }

    @Test
    void quotedMultiLineCsvRecordsAreCountedAsRecordsNotLines() {
        // banking77/train.csv has 10,015 lines but 10,003 records (PROVENANCE.md).
        assertEquals(10_003, report.counts("banking77", InputSpec.RECORDS).read());
    }

    @Test
    void parallelSnliFilesKeepOnlyEntailment() {
        IngestReport.RoleCounts nli = report.counts("nli_dev", InputSpec.RECORDS);
        assertEquals(9_842, nli.read());
        assertEquals(9_842 - 3_329, nli.rejects().get(RejectReason.FILTERED.code()));
        assertEquals(3_329, nli.written() + nli.duplicates());
    }

    @Test
    void nqOpenHasOneRowPerAnswer() {
        IngestReport.RoleCounts nq = report.counts("nq_open", InputSpec.RECORDS);
        assertEquals(3_610, nq.read());
        assertEquals(6_490 - 3_610, nq.expanded());
    }

    @Test
    void judgmentsWithoutPassagesAreDanglingNotDropped() {
        IngestReport.RoleCounts qrels = report.counts("msmarco", InputSpec.QRELS);
        assertEquals(7_437, qrels.read());
        assertEquals(0, qrels.written());
        assertEquals(
                7_437,
                qrels.rejects().getOrDefault(RejectReason.DANGLING_DOC_ID.code(), 0L)
                        + qrels.rejects().getOrDefault(RejectReason.DANGLING_QUERY_ID.code(), 0L)
                        + qrels.duplicates());
        assertEquals(6_980, report.counts("msmarco", InputSpec.QUERIES).read());
    }
}
