package io.embedforge.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.train.eval.EvalSets.LoadedSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Classification and clustering sets: readers, bad records, config errors, sampling, protocol. */
class LabelledSetsTest {

    @TempDir Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private EvalConfig config(String sets) throws IOException {
        return EvalConfig.read(write("eval.yaml", "data_root: .\nsets:\n" + sets));
    }

    private static String message(Path conf, String sets) {
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> {
                            Files.writeString(conf, "sets:\n" + sets);
                            EvalConfig.read(conf);
                        });
        return e.getMessage();
    }

    @Test
    void csvAndDelimitedAndJsonlAreReadWithBadRecordsCounted() throws IOException {
        write("train.csv", "text,label\n\"a, b\",x\ntwo,y\n   ,x\nthree,y,extra\n");
        write("test.csv", "label,text\nx,one\ny,two\n");
        write(
                "items.jsonl",
                "{\"t\": \"math  paper\", \"c\": \"math.CO cs.AI\"}\n{bad\n"
                        + "{\"t\": \"phys\", \"c\": \"hep-th\"}\n{\"t\": \"x\", \"c\": \"???\"}\n");
        write("e.txt", "text;label_name\ni feel \"ok\";joy\nsad;sadness\nbad;x;y\n");
        EvalConfig c =
                config(
                        """
                          - {name: cls, kind: classification, instruction: I, train: train.csv,
                             test: test.csv, on_bad_record: skip,
                             texts: {format: csv, text_field: text, label_field: label}}
                          - {name: clu, kind: clustering, instruction: I, path: items.jsonl,
                             on_bad_record: skip, texts: {format: jsonl, text_field: t,
                             label_field: c, label_pattern: '^([a-z-]+)'}}
                          - {name: emo, kind: clustering, instruction: I, path: e.txt,
                             on_bad_record: skip, texts: {format: delimited, delimiter: ';',
                             text_field: text, label_field: label_name}}
                        """);
        EvalConfig.SetConfig cls = c.sets().get(0);
        LoadedSet train = EvalSets.load(cls, dir);
        assertEquals(List.of("one", "two"), train.scored().texts());
        assertEquals(List.of("a, b", "two"), train.fit().texts());
        assertEquals(
                Map.of(BadRecords.EMPTY_TEXT, 1L, BadRecords.MALFORMED, 1L),
                train.bad().counts(),
                train.bad().examples().toString());
        LoadedSet clu = EvalSets.load(c.sets().get(1), dir);
        assertEquals(List.of("math paper", "phys"), clu.scored().texts());
        assertEquals(List.of("math", "hep-th"), clu.scored().labels());
        assertEquals(
                Map.of(BadRecords.MALFORMED, 1L, BadRecords.UNKNOWN_LABEL, 1L), clu.bad().counts());
        LoadedSet emo = EvalSets.load(c.sets().get(2), dir);
        assertEquals(List.of("i feel \"ok\"", "sad"), emo.scored().texts());
        assertEquals(Map.of(BadRecords.MALFORMED, 1L), emo.bad().counts());
    }

    /** A text joined from fields is scored whole, and each field counts for decontamination. */
    @Test
    void joinedFieldsAreScoredTextsOneByOneToo() throws IOException {
        write(
                "p.jsonl",
                "{\"t\": \" A  title\", \"a\": \"An\\nabstract.\", \"c\": \"x\"}\n"
                        + "{\"t\": \"Other\", \"a\": \"\", \"c\": \"y\"}\n");
        EvalConfig c =
                config(
                        """
                          - {name: p, kind: clustering, instruction: I, path: p.jsonl,
                             texts: {format: jsonl, text_field: [t, a], label_field: c}}
                        """);
        LoadedSet s = EvalSets.load(c, dir).get(0);
        assertEquals(List.of("A title An abstract.", "Other"), s.scored().texts());
        assertEquals(
                List.of("A title An abstract.", "Other", "A title", "An abstract."),
                s.scoredTexts());
    }

    @Test
    void aMissingColumnIsAnErrorNamingItAndTheHeader() throws IOException {
        write("a.csv", "text,category\nx,y\n");
        EvalConfig c =
                config(
                        """
                          - {name: cls, kind: classification, instruction: I, train: a.csv,
                             test: a.csv, texts: {format: csv, text_field: text, label_field: label}}
                        """);
        IOException e = assertThrows(IOException.class, () -> EvalSets.load(c, dir));
        assertTrue(
                e.getMessage().contains("no column 'label' in header [text, category]"),
                e.getMessage());
        assertTrue(e.getMessage().startsWith("eval set cls: "), e.getMessage());
    }

    @Test
    void configErrorsNameTheKey() {
        Path conf = dir.resolve("bad.yaml");
        String base = "  - {name: s, kind: classification, instruction: I, test: t.csv, ";
        String texts = "texts: {format: csv, text_field: text, label_field: label}";
        assertTrue(
                message(conf, base + texts + "}").contains("sets[0] (s).train is missing"),
                message(conf, base + texts + "}"));
        assertTrue(message(conf, base + "train: a.csv}").contains("sets[0] (s).texts is missing"));
        assertTrue(
                message(
                                conf,
                                base
                                        + "train: a, texts: {format: xml, text_field: t, label_field: l}}")
                        .contains(
                                "sets[0] (s).texts.format=xml is not one of csv, delimited, jsonl"));
        assertTrue(
                message(conf, base + "train: a, protocol: {fit_share: 0.5}, " + texts + "}")
                        .contains("fit_share=0.5 is only for sets without a train file"));
        assertTrue(
                message(conf, base + "protocol: {fit_share: 1.0}, " + texts + "}")
                        .contains("sets[0] (s).protocol.fit_share=1.0 must be in (0, 1)"));
        assertTrue(
                message(conf, base + "train: a, protocol: {n_experiments: 0}, " + texts + "}")
                        .contains("sets[0] (s).protocol.n_experiments=0 must be >= 1"));
        assertTrue(
                message(
                                conf,
                                "  - {name: s, kind: clustering, instruction: I, path: p, texts:"
                                        + " {format: jsonl, text_field: t, label_field: l,"
                                        + " label_pattern: 'abc'}}")
                        .contains("label_pattern=abc has no group"));
        assertTrue(
                message(conf, "  - {name: s, kind: tables, instruction: I}")
                        .contains(
                                "kind=tables is not one of sts, retrieval, snli, classification,"
                                        + " clustering"));
    }

    @Test
    void fitShareSplitsTheTestFileAndMaxRowsSamplesDeterministically() throws IOException {
        StringBuilder sb = new StringBuilder("text,label\n");
        for (int i = 0; i < 40; i++) {
            sb.append("text ")
                    .append(i)
                    .append(',')
                    .append(i % 2 == 0 ? "even" : "odd")
                    .append('\n');
        }
        write("t.csv", sb.toString());
        String set =
                """
                  - {name: s, kind: classification, instruction: I, test: t.csv,
                     protocol: {fit_share: 0.25, max_rows: 12, seed: 7},
                     texts: {format: csv, text_field: text, label_field: label}}
                """;
        LoadedSet a = EvalSets.load(config(set), dir).get(0);
        LoadedSet b = EvalSets.load(config(set), dir).get(0);
        assertEquals(10, a.fit().size());
        assertEquals(12, a.scored().size());
        assertEquals(a.fit(), b.fit());
        assertEquals(a.scored(), b.scored());
        List<String> both = new ArrayList<>(a.fit().texts());
        both.retainAll(a.scored().texts());
        assertEquals(List.of(), both, "fit pool and scored rows are disjoint");
        assertEquals(
                Map.of("test_read", 40L, "fit_pool", 10L, "test", 12L, "labels", 2L), a.counts());
        // scored rows stay in file order
        List<String> sorted = new ArrayList<>(a.scored().texts());
        sorted.sort((x, y) -> Integer.compare(num(x), num(y)));
        assertEquals(sorted, a.scored().texts());
    }

    private static int num(String t) {
        return Integer.parseInt(t.substring(5));
    }

    /**
     * An embedder that puts a text on its label's axis (plus a little per-text noise): the protocol
     * must then classify and cluster perfectly; a constant embedder cannot.
     */
    @Test
    void protocolsScorePerfectSeparationAtOneAndAConstantEmbeddingAtChance() {
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            texts.add("abc".charAt(i % 3) + " " + i);
            labels.add("L" + i % 3);
        }
        Labelled all = new Labelled(texts, labels);
        Embedder axis =
                new Embedder() {
                    @Override
                    public float[][] embedQueries(String instruction, List<String> q) {
                        return q.stream()
                                .map(
                                        t -> {
                                            float[] v = new float[4];
                                            v[t.charAt(0) - 'a'] = 1;
                                            v[3] = (t.hashCode() % 7) / 100f;
                                            return v;
                                        })
                                .toArray(float[][]::new);
                    }

                    @Override
                    public float[][] embedDocuments(List<String> d) {
                        return embedQueries("", d);
                    }
                };
        Protocol p = Protocol.defaults();
        Evaluator.ClassificationScores s = Evaluator.classification(axis, "I", all, all, p);
        assertEquals(1.0, s.accuracy(), 1e-12);
        assertEquals(1.0, s.f1(), 1e-12);
        assertEquals(1.0, Evaluator.clustering(axis, "I", all, p), 1e-12);
        Embedder constant =
                new Embedder() {
                    @Override
                    public float[][] embedQueries(String instruction, List<String> q) {
                        return q.stream().map(t -> new float[] {1, 0}).toArray(float[][]::new);
                    }

                    @Override
                    public float[][] embedDocuments(List<String> d) {
                        return embedQueries("", d);
                    }
                };
        Evaluator.ClassificationScores c = Evaluator.classification(constant, "I", all, all, p);
        assertEquals(1 / 3.0, c.accuracy(), 1e-9);
    }
}
