package io.embedforge.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.train.eval.EvalConfig.SetConfig;
import io.embedforge.train.eval.EvalSets.LoadedSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The eval readers, the capping and the eval config: every bad input is named or counted. */
class EvalReadersTest {

    @TempDir Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private static SetConfig retrievalSet(String onBad, int maxQueries, int maxCorpus) {
        return new SetConfig(
                "r",
                "retrieval",
                "Find it",
                null,
                "corpus.jsonl",
                "queries.jsonl",
                "qrels.tsv",
                null,
                null,
                null,
                null,
                null,
                null,
                maxQueries,
                maxCorpus,
                null,
                onBad,
                null,
                null,
                null,
                null);
    }

    private static final String CORPUS =
            """
            {"_id": "d1", "title": "T1", "text": "one"}
            {"_id": "d2", "title": "", "text": "two"}
            {"_id": "d3", "text": "three"}
            {"_id": "d4", "text": "four"}
            {"_id": "d5", "text": "five"}
            """;

    private static final String QUERIES =
            """
            {"_id": "q1", "text": "first"}
            {"_id": "q2", "text": "second"}
            {"_id": "q3", "text": "third"}
            """;

    @Test
    void missingFileIsNamed() {
        Path f = dir.resolve("nope.csv");
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> EvalReaders.stsBenchmark(f, 0, new BadRecords(false)));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void malformedStsLineFailsWithFileAndLine() throws IOException {
        Path f = write("sts.csv", "g\tf\ty\t1\t4.0\ta\tb\ng\tf\ty\t2\t3.0\tonly one\n");
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> EvalReaders.stsBenchmark(f, 0, new BadRecords(false)));
        assertTrue(e.getMessage().startsWith(f + ":2: malformed_record"), e.getMessage());
    }

    @Test
    void nanScoreFailsOrIsCountedAndReported() throws IOException {
        Path f =
                write(
                        "sts.csv",
                        "g\tf\ty\t1\t4.0\ta\tb\ng\tf\ty\t2\tNaN\tc\td\ng\tf\ty\t3\t1.0\te\tf\n");
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> EvalReaders.stsBenchmark(f, 0, new BadRecords(false)));
        assertTrue(e.getMessage().startsWith(f + ":2: score_not_finite"), e.getMessage());

        BadRecords bad = new BadRecords(true);
        EvalReaders.StsPairs p = EvalReaders.stsBenchmark(f, 0, bad);
        assertEquals(List.of("a", "e"), p.a());
        assertEquals(Map.of(BadRecords.BAD_SCORE, 1L), bad.counts());
        assertTrue(bad.examples().get(0).startsWith(f + ":2:"), bad.examples().toString());
    }

    @Test
    void stsTestDataSkipsEveryPlantedRecord() throws IOException {
        BadRecords bad = new BadRecords(true);
        EvalReaders.StsPairs p =
                EvalReaders.stsBenchmark(
                        Path.of("..", "test-data", "stsbenchmark", "sts-train.csv"), 0, bad);
        assertEquals(9, p.gold().length);
        assertEquals(5, bad.total(), bad.counts().toString());
    }

    @Test
    void unknownDocInQrelsFailsNamingTheLineOrIsCounted() throws IOException {
        write("corpus.jsonl", CORPUS);
        write("queries.jsonl", QUERIES);
        Path qrels = write("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td9\t1\n");
        IOException e =
                assertThrows(
                        IOException.class, () -> EvalSets.load(retrievalSet("fail", 0, 0), dir));
        assertTrue(e.getMessage().contains(qrels + ":3: qrels_unknown_doc"), e.getMessage());

        LoadedSet s = EvalSets.load(retrievalSet("skip", 0, 0), dir);
        assertEquals(Map.of(BadRecords.UNKNOWN_DOC, 1L), s.bad().counts());
        assertEquals(1L, s.counts().get("queries"));
        assertEquals(Map.of("q1", Map.of("d1", 1)), s.retrieval().qrels());
    }

    @Test
    void unknownQueryAndMalformedQrelsAreCounted() throws IOException {
        write("corpus.jsonl", CORPUS);
        write("queries.jsonl", QUERIES);
        write("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq7\td1\t1\nq2\td2\nq3\td3\tx\n");
        LoadedSet s = EvalSets.load(retrievalSet("skip", 0, 0), dir);
        assertEquals(
                Map.of(
                        BadRecords.UNKNOWN_QUERY, 1L,
                        BadRecords.MALFORMED, 1L,
                        BadRecords.BAD_SCORE, 1L),
                s.bad().counts());
    }

    @Test
    void badJsonAndDuplicateIdsAreNamed() throws IOException {
        Path f = write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"a\"}\n\n{oops\n");
        IOException e =
                assertThrows(
                        IOException.class, () -> EvalReaders.beirCorpus(f, new BadRecords(false)));
        assertTrue(e.getMessage().startsWith(f + ":3: malformed_record"), e.getMessage());
        Path g =
                write(
                        "c2.jsonl",
                        "{\"_id\": \"d1\", \"text\": \"a\"}\n{\"_id\": \"d1\", \"text\": \"b\"}\n");
        BadRecords bad = new BadRecords(true);
        assertEquals(Map.of("d1", "a"), EvalReaders.beirCorpus(g, bad));
        assertEquals(Map.of(BadRecords.DUPLICATE_ID, 1L), bad.counts());
    }

    @Test
    void cappingKeepsRelevantDocsAndIsDeterministic() throws IOException {
        write("corpus.jsonl", CORPUS);
        write("queries.jsonl", QUERIES);
        write("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td5\t1\nq2\td4\t2\nq3\td1\t1\n");
        LoadedSet s = EvalSets.load(retrievalSet("fail", 2, 3), dir);
        assertEquals(List.of("q1", "q2"), List.copyOf(s.retrieval().queries().keySet()));
        // d4 and d5 are relevant and kept; one more slot, filled in file order
        assertEquals(List.of("d1", "d4", "d5"), List.copyOf(s.retrieval().corpus().keySet()));
        assertEquals("T1 one", s.retrieval().corpus().get("d1"));
        LoadedSet tight = EvalSets.load(retrievalSet("fail", 2, 1), dir);
        assertEquals(List.of("d4", "d5"), List.copyOf(tight.retrieval().corpus().keySet()));
        assertEquals(1L, tight.counts().get("corpus_over_cap"));
        assertEquals(s.retrieval(), EvalSets.load(retrievalSet("fail", 2, 3), dir).retrieval());
    }

    @Test
    void scifactCsvJoinsTheSentenceListAndNamesAnOpenQuote() throws IOException {
        Path f =
                write(
                        "corpus.csv",
                        "doc_id,title,abstract,structured\n"
                                + "4983,A title.,\"['First sentence.'\n 'It\\'s \"\"second\"\".'"
                                + " \"\"Third's.\"\"]\",False\n"
                                + "5,B,\"['x']\",False\n");
        Map<String, String> c = EvalReaders.scifactCorpus(f, new BadRecords(false));
        assertEquals(
                "A title. First sentence. It's \"second\". Third's.", c.get("4983"), c.toString());
        assertEquals("B x", c.get("5"));
        Path g = write("open.csv", "doc_id,title,abstract,structured\n1,T,\"['a'],False\n");
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> EvalReaders.scifactCorpus(g, new BadRecords(false)));
        assertTrue(e.getMessage().startsWith(g + ":2: malformed_record"), e.getMessage());
    }

    @Test
    void snliBuildsPremiseToEntailmentRetrieval() throws IOException {
        write("s1", "A man runs .\nA man runs .\nA man runs .\nKids play .\nKids play .\n");
        write(
                "s2",
                "A person moves .\nA man sleeps .\nA man is outside .\nChildren play .\nA man sleeps .\n");
        write("labels", "entailment\ncontradiction\nneutral\nentailment\nmaybe\n");
        SetConfig cfg =
                new SetConfig(
                        "snli",
                        "snli",
                        "Given a premise",
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        "s1",
                        "s2",
                        "labels",
                        null,
                        null,
                        null,
                        "skip",
                        null,
                        null,
                        null,
                        null);
        LoadedSet s = EvalSets.load(cfg, dir);
        assertEquals(Map.of("p1", "A man runs .", "p4", "Kids play ."), s.retrieval().queries());
        assertEquals(Map.of("p1", Map.of("h1", 1), "p4", Map.of("h4", 1)), s.retrieval().qrels());
        assertEquals(4, s.retrieval().corpus().size());
        assertEquals(Map.of(BadRecords.UNKNOWN_LABEL, 1L), s.bad().counts());

        write("labels", "entailment\n");
        IOException e = assertThrows(IOException.class, () -> EvalSets.load(cfg, dir));
        assertTrue(e.getMessage().contains("line counts differ"), e.getMessage());
    }

    @Test
    void configErrorsNameTheFileAndKey() throws IOException {
        Path unknown =
                write("a.yaml", "data_root: .\nsets:\n  - name: x\n    kind: sts\n    pth: a\n");
        IOException e = assertThrows(IOException.class, () -> EvalConfig.read(unknown));
        assertTrue(e.getMessage().contains(unknown.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("pth"), e.getMessage());

        Path kind = write("b.yaml", "sets:\n  - name: x\n    kind: stss\n    instruction: i\n");
        e = assertThrows(IOException.class, () -> EvalConfig.read(kind));
        assertTrue(e.getMessage().contains("sets[0] (x).kind=stss is not one of"), e.getMessage());

        Path cap =
                write(
                        "c.yaml",
                        "sets:\n  - name: x\n    kind: sts\n    path: p\n    instruction: i\n"
                                + "    max_pairs: -1\n");
        e = assertThrows(IOException.class, () -> EvalConfig.read(cap));
        assertTrue(
                e.getMessage().contains("sets[0] (x).max_pairs=-1 must be >= 0"), e.getMessage());
        Path fraction =
                write(
                        "f.yaml",
                        "sets:\n  - name: x\n    kind: sts\n    path: p\n    instruction: i\n"
                                + "    max_pairs: 2.5\n");
        e = assertThrows(IOException.class, () -> EvalConfig.read(fraction));
        assertTrue(e.getMessage().contains("max_pairs"), e.getMessage());

        Path missing =
                write(
                        "d.yaml",
                        "sets:\n  - name: x\n    kind: retrieval\n    instruction: i\n"
                                + "    corpus: c\n    queries: q\n");
        e = assertThrows(IOException.class, () -> EvalConfig.read(missing));
        assertTrue(e.getMessage().contains("sets[0] (x).qrels is missing"), e.getMessage());

        Path policy =
                write(
                        "e.yaml",
                        "sets:\n  - name: x\n    kind: sts\n    path: p\n    instruction: i\n"
                                + "    on_bad_record: ignore\n");
        e = assertThrows(IOException.class, () -> EvalConfig.read(policy));
        assertTrue(
                e.getMessage().contains("on_bad_record=ignore is not one of fail, skip"),
                e.getMessage());
    }
}
