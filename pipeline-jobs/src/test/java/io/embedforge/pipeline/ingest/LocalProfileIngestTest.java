package io.embedforge.pipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest of {@code conf/local.yaml} over {@code test-data/}, whose planted bad records and
 * hand-counted outcomes are listed in {@code test-data/expected-counts.yaml}.
 */
class LocalProfileIngestTest extends SparkTestBase {
    @TempDir static Path out;

    private static PipelineConfig config;
    private static IngestReport report;

    @BeforeAll
    static void ingest() {
        config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"), ConfigLoader.Overrides.none());
        report =
                IngestJob.ingest(
                        StageContext.direct(
                                spark(), config, StageId.INGEST, out.resolve("a").toString()));
    }

    @Test
    void countsMatchTheHandCountedExpectations() throws IOException {
        JsonNode expected =
                new ObjectMapper(new YAMLFactory())
                        .readTree(repoRoot().resolve("test-data/expected-counts.yaml").toFile());
        int checked = 0;
        for (var source = expected.fields(); source.hasNext(); ) {
            var s = source.next();
            for (var role = s.getValue().fields(); role.hasNext(); ) {
                var r = role.next();
                IngestReport.RoleCounts got = report.counts(s.getKey(), r.getKey());
                assertNotNull(got, s.getKey() + "/" + r.getKey() + " missing from the report");
                String where = s.getKey() + "/" + r.getKey();
                JsonNode e = r.getValue();
                assertEquals(e.path("read").asLong(), got.read(), where + " read");
                assertEquals(e.path("written").asLong(), got.written(), where + " written");
                assertEquals(
                        e.path("duplicates").asLong(), got.duplicates(), where + " duplicates");
                assertEquals(e.path("expanded").asLong(0), got.expanded(), where + " expanded");
                Map<String, Long> rejects = new TreeMap<>();
                e.path("rejects")
                        .fields()
                        .forEachRemaining(x -> rejects.put(x.getKey(), x.getValue().asLong()));
                assertEquals(rejects, new TreeMap<>(got.rejects()), where + " rejects");
                checked++;
            }
        }
        assertTrue(checked >= 40, "only " + checked + " roles checked");
    }

    @Test
    void everyRecordIsAccountedFor() {
        for (IngestReport.SourceCounts s : report.sources()) {
            for (IngestReport.RoleCounts r : s.inputs()) {
                assertEquals(
                        r.read() + r.expanded(),
                        r.written() + r.rejected() + r.duplicates(),
                        s.source() + "/" + r.role() + ": " + r);
            }
        }
    }

    @Test
    void everyRejectReasonOccursWithLocationAndDetail() {
        Dataset<Row> rejects = spark().read().parquet(out.resolve("a/ingest/rejects").toString());
        Set<String> reasons =
                rejects.select(RejectsTable.REASON).distinct().collectAsList().stream()
                        .map(r -> r.getString(0))
                        .collect(Collectors.toCollection(TreeSet::new));
        Set<String> all = new TreeSet<>();
        EnumSet.allOf(RejectReason.class).forEach(r -> all.add(r.code()));
        assertEquals(all, reasons);
        assertEquals(
                0, rejects.filter("location is null or location = '' or detail is null").count());
        Row utf8 = rejects.filter("reason = 'invalid_utf8' and source = 'emotion'").first();
        assertTrue(
                utf8.getAs(RejectsTable.LOCATION).toString().endsWith("emotion/train.txt:15"),
                utf8.toString());
        // A .gz cut short: one reject at the first line not read whole, naming the cause.
        Row cut = rejects.filter("reason = 'truncated_input'").first();
        assertTrue(
                cut.getAs(RejectsTable.LOCATION)
                        .toString()
                        .endsWith("stackexchange_duplicate_questions_body_body.jsonl.gz:4"),
                cut.toString());
        assertTrue(
                cut.getAs(RejectsTable.DETAIL).toString().contains("EOFException"), cut.toString());
        // A stray quote in the middle of a CSV file: only its own line is rejected.
        List<Row> quote = rejects.filter("location like '%/banking77/train.csv:5'").collectAsList();
        assertEquals(1, quote.size(), quote.toString());
        assertEquals(
                "\"Can I choose the colour of my card,card_arrival",
                quote.get(0).getAs(RejectsTable.RAW).toString());
    }

    @Test
    void rowsAreIdenticalWithOtherPartitioningAndTinyByteRanges() {
        String previous = spark().conf().get("spark.sql.shuffle.partitions");
        try {
            spark().conf().set("spark.sql.shuffle.partitions", "1");
            IngestJob.ingest(
                    StageContext.direct(
                            spark(),
                            config.withSplitSizeBytes(64),
                            StageId.INGEST,
                            out.resolve("b").toString()));
        } finally {
            spark().conf().set("spark.sql.shuffle.partitions", previous);
        }
        for (String table :
                List.of("retrieval", "queries", "corpus", "classification", "clustering", "sts")) {
            assertEquals(
                    sorted(out.resolve("a/ingest/" + table)),
                    sorted(out.resolve("b/ingest/" + table)),
                    table);
        }
        // Byte-range reading reports offsets instead of line numbers (in locations and in the
        // details that cite a location); the rejected records and their reasons are the same.
        assertEquals(
                sorted(out.resolve("a/ingest/rejects"), "source", "input", "reason", "raw"),
                sorted(out.resolve("b/ingest/rejects"), "source", "input", "reason", "raw"));
    }

    private static List<String> sorted(Path table, String... columns) {
        Dataset<Row> rows = spark().read().parquet(table.toString());
        if (columns.length > 0) {
            rows = rows.selectExpr(columns);
        }
        return rows.collectAsList().stream().map(Row::toString).sorted().toList();
    }
}
