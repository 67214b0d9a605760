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

    @TempDir Path dir;

    private List<ExtractedRecord> read(InputSpec spec, String name, String content)
            throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        List<ExtractedRecord> out = new ArrayList<>();
        RecordReaders.read(spec, new FileUnit(file.toUri().toString(), 0, Long.MAX_VALUE), CONF)
                .forEachRemaining(out::add);
        return out;
    }

    private static InputSpec spec(
            InputFormat format, Map<String, Object> options, Map<String, String> fields) {
        return new InputSpec(
                InputSpec.RECORDS,
                format,
                List.of("unused"),
                Map.of(),
                new Options(options),
                fields);
    }

    @Test
    void quotedCsvKeepsLineBreaksInFieldsAndResumesAfterABrokenQuote() throws IOException {
        InputSpec spec =
                spec(InputFormat.CSV, Map.of(), Map.of("text", "text", "label", "category"));
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
