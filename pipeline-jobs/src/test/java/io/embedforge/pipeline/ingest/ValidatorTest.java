package io.embedforge.pipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.config.InputFormat;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.LabelSpec;
import io.embedforge.pipeline.config.Options;
import io.embedforge.pipeline.config.ScoreSpec;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.config.TaskType;
import io.embedforge.pipeline.schema.RejectsTable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The validator's verdict on single records: number syntax, Unicode classes. No Spark. */
class ValidatorTest {
    private static final InputSpec STS_INPUT =
            new InputSpec(
                    InputSpec.RECORDS,
                    InputFormat.JSONL,
                    List.of("unused"),
                    Map.of(),
                    new Options(Map.of()),
                    Map.of("text_a", "a", "text_b", "b", "score", "s"));
    private static final RecordValidator STS =
            new RecordValidator(
                    new SourceConfig(
                            "sts",
                            "sts",
                            "sts.yaml",
                            TaskType.STS,
                            "train",
                            "i",
                            true,
                            List.of(STS_INPUT),
                            LabelSpec.none(),
                            ScoreSpec.zeroToFive(),
                            Map.of(),
                            Map.of()));

    /** reason|detail of a record with these fields, or "ok". */
    private static String verdict(Map<String, String> fields) {
        Map<String, List<String>> values = new java.util.LinkedHashMap<>();
        fields.forEach((k, v) -> values.put(k, List.of(v)));
        ExtractedRecord r =
                ExtractedRecord.of(
                        InputSpec.RECORDS,
                        "f.jsonl",
                        3,
                        true,
                        fields.toString(),
                        false,
                        values,
                        Set.of());
        Outcome o = STS.validate(r).get(0);
        return o.ok()
                ? "ok"
                : column(o, RejectsTable.REASON) + "|" + column(o, RejectsTable.DETAIL);
    }

    private static String column(Outcome o, String name) {
        return o.reject().getString(IngestSchemas.REJECTS.fieldIndex(name));
    }

    private static String score(String score) {
        return verdict(Map.of("text_a", "one", "text_b", "two", "score", score));
    }

    @Test
    void scoresAcceptOnlyDecimalSyntax() {
        for (String good : List.of("3", "0", "4.5", "5.000", "1e0", "2.5E-1", "-0", "0.25e+1")) {
            assertEquals("ok", score(good), good);
        }
        for (String bad :
                List.of(
                        "3f",
                        "4d",
                        "0x1p1",
                        " 3",
                        "3 ",
                        "+3",
                        ".5",
                        "3.",
                        "03",
                        "Infinity",
                        "-Infinity",
                        "1_0",
                        "4,5")) {
            String v = score(bad);
            assertTrue(
                    v.startsWith("wrong_type|score '" + bad + "' is not a decimal"),
                    bad + ": " + v);
        }
        assertTrue(score("NaN").startsWith("score_nan|"), score("NaN"));
        assertTrue(score("nan").startsWith("score_nan|"));
        assertTrue(score("1e999").startsWith("score_out_of_range|"), score("1e999"));
        assertTrue(score("5.5").startsWith("score_out_of_range|"));
        assertTrue(score("  ").startsWith("empty_text|"), "blank is empty, not a bad number");
    }

    @Test
    void aNoncharacterIsValidUtf8ButNotText() {
        String v = verdict(Map.of("text_a", "one\uFFFF", "text_b", "two", "score", "3"));
        assertTrue(v.startsWith("control_characters|field 'text_a' holds noncharacter U+FFFF"), v);
        assertTrue(
                verdict(Map.of("text_a", "x\uFDD0", "text_b", "two", "score", "3"))
                        .startsWith("control_characters|"));
        assertTrue(
                verdict(Map.of("text_a", "x\uD83F\uDFFE", "text_b", "two", "score", "3"))
                        .contains("U+1FFFE"),
                "plane 1's noncharacter");
        assertEquals(
                "ok",
                verdict(Map.of("text_a", "caf\u00e9 \uD83D\uDE00", "text_b", "t", "score", "3")));
        assertEquals(-1, RecordValidator.firstNoncharacter("\uFFFD\uFEFF"));
        assertFalse(Utf8.hasInvalid("\uFFFF"), "U+FFFF is not the invalid-bytes marker");
    }

    @Test
    void aLoneSurrogateEscapeIsRejectedAndNeverWrittenAsAQuestionMark() throws Exception {
        JsonRecords json = new JsonRecords(STS_INPUT);
        java.util.List<ExtractedRecord> records = new java.util.ArrayList<>();
        String line = "{\"a\": \"half \\ud800 pair\", \"b\": \"ok \\ud83d\\ude00\", \"s\": 3}";
        java.nio.file.Path file = java.nio.file.Files.createTempFile("surrogate", ".jsonl");
        try {
            java.nio.file.Files.writeString(file, line + "\n");
            json.lines(
                            new LineIterator(
                                    new FileUnit(file.toUri().toString(), 0, Long.MAX_VALUE),
                                    new org.apache.hadoop.conf.Configuration()),
                            "f.jsonl")
                    .forEachRemaining(records::add);
        } finally {
            java.nio.file.Files.delete(file);
        }
        Outcome o = STS.validate(records.get(0)).get(0);
        assertNull(o.row());
        assertEquals("invalid_utf8", column(o, RejectsTable.REASON));
        String detail = column(o, RejectsTable.DETAIL);
        assertTrue(detail.contains("unpaired surrogate U+D800"), detail);
        String raw = column(o, RejectsTable.RAW);
        assertEquals(-1, Utf8.firstUnpairedSurrogate(raw), "reject rows hold valid text: " + raw);
    }

    @Test
    void displayKeepsPairsAndReplacesLoneSurrogates() {
        assertEquals(
                "a\uFFFDb\uD83D\uDE00\uFFFD", Utf8.display("a\uD800b\uD83D\uDE00" + Utf8.INVALID));
        assertEquals("plain", Utf8.display("plain"));
    }
}
