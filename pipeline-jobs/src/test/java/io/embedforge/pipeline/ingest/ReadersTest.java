package io.embedforge.pipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.config.InputFormat;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.Options;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each reader on small hand-written files; no Spark. */
class ReadersTest {
    private static final Configuration CONF = new Configuration();

    /** Quoted CSV with a {@code text,category} header (banking77's layout). */
    private static final InputSpec CSV_TEXT_CATEGORY =
            spec(InputFormat.CSV, Map.of(), Map.of("text", "text", "label", "category"));

    @TempDir Path dir;

    /** The physical records the last {@link #read} reported in its tallies. */
    private long tallied;

    /** The records of a file (tallies counted into {@link #tallied}, not returned). */
    private List<ExtractedRecord> read(InputSpec spec, String name, String content)
            throws IOException {
        return read(spec, name, content.getBytes(StandardCharsets.UTF_8));
    }

    private List<ExtractedRecord> read(InputSpec spec, String name, byte[] content)
            throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        List<ExtractedRecord> out = new ArrayList<>();
        tallied = 0;
        RecordReaders.read(spec, new FileUnit(file.toUri().toString(), 0, Long.MAX_VALUE), CONF)
                .forEachRemaining(
                        r -> {
                            if (r.tally()) {
                                tallied += r.read();
                            } else {
                                out.add(r);
                            }
                        });
        return out;
    }

    private static io.embedforge.pipeline.config.SourceConfig classification(InputSpec spec) {
        return new io.embedforge.pipeline.config.SourceConfig(
                "src",
                "src",
                "src.yaml",
                io.embedforge.pipeline.config.TaskType.CLASSIFICATION,
                "train",
                "i",
                false,
                List.of(spec),
                io.embedforge.pipeline.config.LabelSpec.none(),
                io.embedforge.pipeline.config.ScoreSpec.zeroToFive(),
                Map.of(),
                Map.of());
    }

    private static InputSpec spec(
            InputFormat format, Map<String, Object> options, Map<String, String> fields) {
        return spec("unused", format, options, fields);
    }

    private static InputSpec spec(
            String path,
            InputFormat format,
            Map<String, Object> options,
            Map<String, String> fields) {
        return new InputSpec(
                InputSpec.RECORDS, format, List.of(path), Map.of(), new Options(options), fields);
    }

    /** The message of the configuration error that planning this input raises. */
    private static String planningError(InputSpec spec) {
        return org.junit.jupiter.api.Assertions.assertThrows(
                        io.embedforge.pipeline.config.ConfigException.class,
                        () -> InputPlanner.plan(classification(spec), spec, CONF, 1 << 20))
                .getMessage();
    }

    @Test
    void quotedCsvKeepsLineBreaksInFieldsAndResumesAfterABrokenQuote() throws IOException {
        InputSpec spec = CSV_TEXT_CATEGORY;
        List<ExtractedRecord> records =
                read(
                        spec,
                        "a.csv",
                        "text,category\n"
                                + "\"two\nlines\",card\n"
                                + "plain,card\n"
                                + "\"bad\" quote,x\n"
                                + "after,card\n"
                                + "too,many,cells\n");
        assertEquals("two\nlines", records.get(0).fields().get("text").get(0));
        assertEquals(2, records.get(0).position());
        assertEquals("plain", records.get(1).fields().get("text").get(0));
        assertNotNull(records.get(2).malformed(), "a quote inside an unquoted field");
        assertEquals("after", records.get(3).fields().get("text").get(0));
        assertTrue(records.get(4).malformed().contains("expected 2 columns, found 3"));
        assertEquals(5, records.size());
        assertEquals(5, tallied, "the header is not a record");
    }

    /**
     * A stray quote in the middle of a file costs its own record only: the records after it, up to
     * and past the next quote of the file, are read as they are.
     */
    @Test
    void aStrayQuoteInTheMiddleOfAFileCostsOneRecord() throws IOException {
        InputSpec spec = CSV_TEXT_CATEGORY;
        String text =
                "text,category\n"
                        + "one,card\n"
                        + "\"stray opening quote,card\n"
                        + "two,card\n"
                        + "three,card\n"
                        + "\"four, quoted\",card\n"
                        + "five,card\n"
                        + "\"closed\" then text,card\n"
                        + "\"six\non two lines\",card\n"
                        + "seven,card\n";
        List<ExtractedRecord> records = read(spec, "mid.csv", text);
        List<String> texts = new ArrayList<>();
        for (ExtractedRecord r : records) {
            texts.add(r.malformed() != null ? "!" + r.position() : r.fields().get("text").get(0));
        }
        assertEquals(
                List.of(
                        "one",
                        "!3",
                        "two",
                        "three",
                        "four, quoted",
                        "five",
                        "!8",
                        "six\non two lines",
                        "seven"),
                texts);
        assertEquals("\"stray opening quote,card", records.get(1).raw());
        assertTrue(
                records.get(1).malformed().contains("opened on line 3"),
                records.get(1).malformed());
        assertTrue(records.get(6).malformed().contains("closing quote"));
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 11L), positions(records));
        assertEquals(9, tallied);

        // Without a later quote, the rest of the file is read too.
        List<ExtractedRecord> tail =
                read(spec, "tail.csv", "text,category\n\"open,card\nx,card\ny,card\n");
        assertEquals(3, tail.size());
        assertTrue(tail.get(0).malformed().contains("never closed"), tail.get(0).malformed());
        assertEquals(List.of("x"), tail.get(1).fields().get("text"));
        assertEquals(List.of("y"), tail.get(2).fields().get("text"));
    }

    @Test
    void csvRecordsAfterBlankLinesAndWithCrLfKeepTheirLines() throws IOException {
        InputSpec spec = CSV_TEXT_CATEGORY;
        List<ExtractedRecord> records =
                read(
                        spec,
                        "crlf.csv",
                        "text,category\r\n\r\na,card\r\n\n\"b\r\nc\",card\r\nd,card");
        assertEquals(List.of(3L, 5L, 7L), positions(records));
        assertEquals(List.of("b\r\nc"), records.get(1).fields().get("text"));
        assertEquals(List.of("card"), records.get(2).fields().get("label"));
        assertEquals(3, tallied);
    }

    private static List<Long> positions(List<ExtractedRecord> records) {
        return records.stream().map(ExtractedRecord::position).toList();
    }

    /** {@code {...} garbage} and two objects on one line are malformed, never half read. */
    @Test
    void jsonWithTrailingContentIsMalformed() throws IOException {
        InputSpec spec = spec(InputFormat.JSONL, Map.of(), Map.of("text", "t", "label", "l"));
        List<ExtractedRecord> records =
                read(
                        spec,
                        "t.jsonl",
                        "{\"t\": \"a\", \"l\": \"x\"} garbage\n"
                                + "{\"t\": \"b\", \"l\": \"x\"}{\"t\": \"c\", \"l\": \"x\"}\n"
                                + "{\"t\": \"d\", \"l\": \"x\"}   \n");
        assertEquals(3, records.size());
        assertTrue(records.get(0).malformed().startsWith("not valid JSON"));
        assertTrue(records.get(1).malformed().startsWith("not valid JSON"));
        assertNull(records.get(2).malformed(), "trailing spaces are not content");
        assertEquals(3, tallied);

        InputSpec doc =
                spec(
                        InputFormat.JSON,
                        Map.of("record_path", "data[]"),
                        Map.of("text", "t", "label", "l"));
        List<ExtractedRecord> docs =
                read(doc, "d.json", "{\"data\": [{\"t\": \"a\", \"l\": \"x\"}]} {\"data\": []}");
        assertEquals(1, docs.size());
        assertTrue(docs.get(0).malformed().startsWith("not valid JSON"));
        assertEquals(1, tallied);
    }

    /** A .gz cut short: the whole lines before the cut are read, the rest is one reject. */
    @Test
    void aTruncatedGzipNamesTheFileAndLineAndRejectsTheRest() throws IOException {
        InputSpec spec = spec(InputFormat.JSONL, Map.of(), Map.of("text", "t", "label", "l"));
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 2000; i++) {
            text.append("{\"t\": \"record ").append(i).append(" of a long file\", \"l\": \"x\"}\n");
        }
        byte[] gz = gzip(text.toString().getBytes(StandardCharsets.UTF_8));
        byte[] cut = java.util.Arrays.copyOf(gz, gz.length / 2);
        List<ExtractedRecord> records = read(spec, "cut.jsonl.gz", cut);
        ExtractedRecord last = records.get(records.size() - 1);
        assertEquals(RejectReason.TRUNCATED_INPUT, last.failure().reason());
        assertEquals(records.size(), last.position(), "the line after the last whole one");
        assertTrue(last.location().endsWith("cut.jsonl.gz:" + records.size()), last.location());
        assertTrue(last.failure().detail().contains("ends early"), last.failure().detail());
        for (ExtractedRecord r : records.subList(0, records.size() - 1)) {
            assertNull(r.failure(), r.toString());
        }
        assertTrue(records.size() > 100 && records.size() < 2000, "cut at " + records.size());
        assertEquals(records.size(), tallied);

        // The same policy for whole-file formats: CSV keeps its whole lines, JSON is one reject.
        StringBuilder csv = new StringBuilder("text,category\n");
        for (int i = 1; i <= 2000; i++) {
            csv.append("record ").append(i).append(" of a long file,card\n");
        }
        byte[] csvCut = gzip(csv.toString().getBytes(StandardCharsets.UTF_8));
        List<ExtractedRecord> rows =
                read(
                        spec(
                                InputFormat.CSV,
                                Map.of(),
                                Map.of("text", "text", "label", "category")),
                        "cut.csv.gz",
                        java.util.Arrays.copyOf(csvCut, csvCut.length / 2));
        ExtractedRecord lastRow = rows.get(rows.size() - 1);
        assertEquals(RejectReason.TRUNCATED_INPUT, lastRow.failure().reason());
        assertEquals(rows.size() + 1, lastRow.position(), "line 1 is the header");
        assertEquals(rows.size(), tallied);
        List<ExtractedRecord> doc =
                read(
                        spec(InputFormat.JSON, Map.of("record_path", "[]"), Map.of("text", "t")),
                        "cut.json.gz",
                        java.util.Arrays.copyOf(
                                gzip(
                                        ("[" + "{\"t\": \"x\"},".repeat(3000) + "{}]")
                                                .getBytes(StandardCharsets.UTF_8)),
                                200));
        assertEquals(1, doc.size());
        assertEquals(RejectReason.TRUNCATED_INPUT, doc.get(0).failure().reason());
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    /** A folder that links to itself is listed once, not once per level of the link chain. */
    @Test
    void aSymlinkCycleInAnInputFolderIsListedOnce() throws IOException {
        Path root = dir.resolve("corpus");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/a.jsonl"), "{\"t\": \"x\", \"l\": \"y\"}\n");
        Files.createSymbolicLink(root.resolve("sub/loop"), root);
        Files.createSymbolicLink(root.resolve("again"), root.resolve("sub"));
        InputSpec spec =
                spec(
                        root.toUri().toString(),
                        InputFormat.JSONL,
                        Map.of(),
                        Map.of("text", "t", "label", "l"));
        InputPlanner.Plan plan = InputPlanner.plan(classification(spec), spec, CONF, 1 << 20);
        assertEquals(1, plan.files().size(), plan.files().toString());
        assertEquals(1, plan.units().size());
    }

    @Test
    void aHeaderWithoutAMappedColumnFailsAtPlanningNotPerRecord() throws IOException {
        Path file = dir.resolve("h.csv");
        Files.writeString(file, "sentence,is_counterfactual\nx,1\n", StandardCharsets.UTF_8);
        InputSpec spec =
                spec(
                        file.toUri().toString(),
                        InputFormat.CSV,
                        Map.of(),
                        Map.of("text", "text", "label", "is_counterfactual"));
        String message = planningError(spec);
        assertTrue(message.contains("[text]") && message.contains("h.csv"), message);
    }

    @Test
    void aGlobThatMatchesNothingIsAnError() {
        InputSpec spec =
                spec(
                        dir.resolve("nothing-*.jsonl").toUri().toString(),
                        InputFormat.JSONL,
                        Map.of(),
                        Map.of("text", "t", "label", "l"));
        String message = planningError(spec);
        assertTrue(message.contains("no file matches") && message.contains("nothing-*"), message);
    }

    @Test
    void unquotedTsvSplitsOnTabsAndChecksTheColumnCount() throws IOException {
        InputSpec spec =
                spec(
                        InputFormat.CSV,
                        Map.of("delimiter", "\\t", "header", false, "quote", "none"),
                        Map.of("text_a", "$5", "text_b", "$6", "score", "$4"));
        List<ExtractedRecord> records =
                read(spec, "sts.tsv", "g\tf\ty\t1\t4.2\tA \"quoted\" one\tB\nshort\trow\n");
        assertEquals("A \"quoted\" one", records.get(0).fields().get("text_a").get(0));
        assertEquals("4.2", records.get(0).fields().get("score").get(0));
        assertTrue(records.get(1).malformed().contains("expected at least 7 columns, found 2"));
    }

    @Test
    void whitespaceDelimitedQrels() throws IOException {
        InputSpec spec =
                spec(
                        InputFormat.CSV,
                        Map.of("delimiter", "whitespace", "header", false, "quote", "none"),
                        Map.of("query_id", "$0", "doc_id", "$2", "relevance", "$3"));
        List<ExtractedRecord> records = read(spec, "q.txt", "1 Q0 d1 1\n2\t0\td2\t0\n");
        assertEquals(List.of("d1"), records.get(0).fields().get("doc_id"));
        assertEquals(List.of("0"), records.get(1).fields().get("relevance"));
    }

    @Test
    void jsonRecordPathWithParentSelector() throws IOException {
        InputSpec spec =
                spec(
                        InputFormat.JSON,
                        Map.of("record_path", "data[].paragraphs[].qas[]"),
                        Map.of("query", "question", "positive", "^.context"));
        List<ExtractedRecord> records =
                read(
                        spec,
                        "squad.json",
                        "{\"data\":[{\"paragraphs\":[{\"context\":\"C1\",\"qas\":[{\"question\":\"q1\"},"
                                + "{\"question\":\"q2\"}]},{\"context\":\"C2\",\"qas\":[{\"question\":\"q3\"}]}]}]}");
        assertEquals(3, records.size());
        assertEquals(List.of("C1"), records.get(1).fields().get("positive"));
        assertEquals(List.of("q3"), records.get(2).fields().get("query"));
        assertEquals(List.of("C2"), records.get(2).fields().get("positive"));
    }

    @Test
    void jsonLinesArraysTypesAndMalformedLines() throws IOException {
        InputSpec pairs =
                spec(InputFormat.JSONL, Map.of(), Map.of("query", "[0]", "positive", "[1]"));
        List<ExtractedRecord> records =
                read(pairs, "p.jsonl", "[\"q\", \"p\"]\n\n{\"not\": \"an array\"}\n{broken\n");
        assertEquals(3, tallied, "the blank line is not a physical record");
        assertEquals(List.of("p"), records.get(0).fields().get("positive"));
        assertTrue(records.get(1).malformed().contains("not a JSON array"));
        assertTrue(records.get(2).malformed().startsWith("not valid JSON"));
        assertEquals(3, records.size(), "the blank line is not a record");

        InputSpec multi =
                spec(
                        InputFormat.JSONL,
                        Map.of(),
                        Map.of("query", "question", "positive", "answer"));
        List<ExtractedRecord> nq =
                read(
                        multi,
                        "nq.jsonl",
                        "{\"question\": \"q\", \"answer\": [\"a1\", \"a2\"]}\n"
                                + "{\"question\": [\"x\"], \"answer\": [\"a\"]}\n"
                                + "{\"question\": 42, \"answer\": [{\"o\": 1}]}\n");
        assertEquals(List.of("a1", "a2"), nq.get(0).fields().get("positive"));
        assertTrue(nq.get(1).wrongType().contains("query"), "query takes one value");
        assertEquals(List.of("42"), nq.get(2).fields().get("query"), "numbers are text");
        assertTrue(nq.get(2).wrongType().contains("positive"));
    }

    @Test
    void oneRecordPerFileWithFieldsFromThePath() throws IOException {
        InputSpec spec =
                spec(
                        InputFormat.FILES,
                        Map.of(
                                "path_pattern",
                                "/(?<label>pos|neg)/(?<id>\\d+)_(?<rating>\\d+)\\.txt$"),
                        Map.of("text", "$content", "label", "label"));
        List<ExtractedRecord> records = read(spec, "train/pos/12_9.txt", "Great film.");
        assertEquals(List.of("pos"), records.get(0).fields().get("label"));
        assertEquals(List.of("Great film."), records.get(0).fields().get("text"));
        assertNull(records.get(0).malformed());
        List<ExtractedRecord> off = read(spec, "train/unsup/3_0.txt", "x");
        assertTrue(off.get(0).malformed().contains("path_pattern"));
    }
}
