package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.train.eval.NvEmbedEmbedder;
import io.embedforge.train.export.ExportedModel;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code embed} on a tiny model trained for 3 updates: the embeddings equal the Java embedder's on
 * the same model (export folder and run folder), every bad row (missing or non-string field, empty
 * text, invalid UTF-8, malformed JSON, null Parquet value) is in the rejects file with its reason,
 * and rows read = rows embedded + rows rejected; bad options stop with one line and exit code 2.
 */
class EmbedCommandTest {
    static final String INSTRUCTION = "Given a question, retrieve passages that answer it";

    @TempDir static Path dir;

    static Path conf;
    static Path run;
    static Path export;

    @BeforeAll
    static void trainAndExport() throws Exception {
        conf = TinyRun.train(dir);
        run = dir.resolve("run");
        export = dir.resolve("export");
        assertEquals(
                0,
                CommandLine.populateCommand(
                                new ExportCommand(),
                                "--config",
                                conf.toString(),
                                "--run",
                                run.toString(),
                                "--out",
                                export.toString())
                        .call());
    }

    /** Runs the command as the CLI does; returns exit code and stderr. */
    private static Result embed(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = CliStyle.apply(new CommandLine(new EmbedCommand()));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Result(code, err.toString());
    }

    private record Result(int code, String err) {}

    @Test
    void jsonlEmbedsGoodRowsAndRejectsBadOnesWithReasons() throws Exception {
        Path in = dir.resolve("queries.jsonl");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(
                ("{\"id\": \"q1\", \"q\": \"what is topic 3?\"}\n"
                                + "{\"id\": \"q2\", \"other\": \"no text field\"}\n"
                                + "{\"id\": 7, \"q\": \"why does topic 12 matter?\"}\n"
                                + "{\"id\": \"q4\", \"q\": \"   \"}\n"
                                + "{\"id\": \"q5\", \"q\": 42}\n"
                                + "{not json\n")
                        .getBytes(StandardCharsets.UTF_8));
        b.writeBytes("{\"id\": \"q7\", \"q\": \"bad \u00e9".getBytes(StandardCharsets.UTF_8));
        b.write(0xC3); // a lead byte without its continuation
        b.writeBytes(
                "\"}\n\n{\"q\": \"no id, row number instead\"}\r\n"
                        .getBytes(StandardCharsets.UTF_8));
        Files.write(in, b.toByteArray());
        Path out = dir.resolve("q.parquet");
        Result r =
                embed(
                        "--model",
                        export.toString(),
                        "--input",
                        in.toString(),
                        "--text-field",
                        "q",
                        "--instruction",
                        INSTRUCTION,
                        "--out",
                        out.toString(),
                        "--batch-size",
                        "2");
        assertEquals(0, r.code(), r.err());

        List<Group> rows = read(out);
        assertEquals(
                List.of("q1", "7", "9"), rows.stream().map(g -> g.getString("id", 0)).toList());
        Map<String, String> rejects = new LinkedHashMap<>();
        for (Group g : read(dir.resolve("q.rejects.parquet"))) {
            rejects.put(g.getString("id", 0), g.getString("reason", 0));
        }
        assertEquals(
                Map.of(
                        "q2", "missing_field",
                        "q4", "empty_text",
                        "q5", "missing_field",
                        "6", "malformed_record",
                        "7", "invalid_utf8"),
                rejects);
        JsonNode m = new ObjectMapper().readTree(dir.resolve("q.manifest.json").toFile());
        assertEquals(8, m.get("rows_read").asLong());
        assertEquals(
                m.get("rows_read").asLong(),
                m.get("rows_embedded").asLong() + m.get("rows_rejected").asLong());
        assertEquals(rows.size(), m.get("rows_embedded").asLong());

        // the same vectors as the Java embedder on the exported model, in any batch
        List<String> texts = rows.stream().map(g -> g.getString("text", 0)).toList();
        float[][] want = javaEmbeddings(texts, INSTRUCTION);
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(want[i], vector(rows.get(i)), 1e-6f, texts.get(i));
        }
    }

    @Test
    void parquetAndTextInputFromARunFolder() throws Exception {
        MessageType schema =
                MessageTypeParser.parseMessageType(
                        "message m { optional int64 doc_id; optional binary body (STRING); }");
        Path in = dir.resolve("docs.parquet");
        SimpleGroupFactory f = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> w =
                ExampleParquetWriter.builder(new LocalOutputFile(in)).withType(schema).build()) {
            w.write(f.newGroup().append("doc_id", 10L).append("body", "topic 3 is about item 3"));
            w.write(f.newGroup().append("doc_id", 11L));
            w.write(f.newGroup().append("doc_id", 12L).append("body", ""));
            w.write(f.newGroup().append("doc_id", 13L).append("body", "passage about topic 21"));
        }
        Path out = dir.resolve("docs.parquet.out.parquet");
        Result r =
                embed(
                        "--model",
                        run.toString(),
                        "--input",
                        in.toString(),
                        "--text-field",
                        "body",
                        "--id-field",
                        "doc_id",
                        "--out",
                        out.toString());
        assertEquals(0, r.code(), r.err());
        List<Group> rows = read(out);
        assertEquals(List.of("10", "13"), rows.stream().map(g -> g.getString("id", 0)).toList());
        List<Group> rejects = read(dir.resolve("docs.parquet.out.rejects.parquet"));
        assertEquals(
                List.of("missing_field", "empty_text"),
                rejects.stream().map(g -> g.getString("reason", 0)).toList());
        float[][] want =
                javaEmbeddings(List.of("topic 3 is about item 3", "passage about topic 21"), null);
        assertArrayEquals(want[1], vector(rows.get(1)), 1e-6f);

        Path txt = dir.resolve("lines.txt");
        Files.writeString(txt, "first line\n\nthird line\n");
        Path tout = dir.resolve("lines.parquet");
        assertEquals(
                0,
                embed(
                                "--model",
                                export.toString(),
                                "--input",
                                txt.toString(),
                                "--out",
                                tout.toString())
                        .code());
        assertEquals(
                List.of("1", "3"), read(tout).stream().map(g -> g.getString("id", 0)).toList());
        assertEquals(
                "empty_text",
                read(dir.resolve("lines.rejects.parquet")).get(0).getString("reason", 0));
    }

    @Test
    void badOptionsStopWithOneLineAndExitCode2() throws Exception {
        Path in = dir.resolve("ok.jsonl");
        Files.writeString(in, "{\"t\": \"x\"}\n");
        Path csv = dir.resolve("x.csv");
        Files.writeString(csv, "t\nx\n");
        Path exists = dir.resolve("exists.parquet");
        Files.writeString(exists, "");
        MessageType schema =
                MessageTypeParser.parseMessageType("message m { optional binary body (STRING); }");
        Path pq = dir.resolve("body.parquet");
        try (ParquetWriter<Group> w =
                ExampleParquetWriter.builder(new LocalOutputFile(pq)).withType(schema).build()) {
            w.write(new SimpleGroupFactory(schema).newGroup().append("body", "text"));
        }
        String model = export.toString();
        Map<String, List<String>> cases = new LinkedHashMap<>();
        cases.put("--text-field is required", List.of("--input", in.toString(), "--out", "a"));
        cases.put("has an unknown extension", List.of("--input", csv.toString(), "--out", "b"));
        cases.put("exists; choose a new --out", List.of("--input", in.toString(), "--out", "="));
        cases.put(
                "is neither an export folder",
                List.of("--input", in.toString(), "--out", "c", "--model", dir.toString()));
        cases.put("must end in .parquet", List.of("--input", in.toString(), "--out", "d.json"));
        cases.put(
                "--instruction is blank",
                List.of("--input", in.toString(), "--out", "e", "--instruction", " "));
        cases.put(
                "--text-field t: " + pq + " has no such column; it has [body]",
                List.of("--input", pq.toString(), "--out", "f"));
        for (Map.Entry<String, List<String>> c : cases.entrySet()) {
            List<String> args = new ArrayList<>();
            List<String> given = c.getValue();
            for (int i = 0; i < given.size(); i += 2) {
                String v = given.get(i + 1);
                if (given.get(i).equals("--out")) {
                    v = v.equals("=") ? exists.toString() : dir.resolve(v).toString();
                    v = v.endsWith(".json") ? v : v + (v.endsWith(".parquet") ? "" : ".parquet");
                }
                args.add(given.get(i));
                args.add(v);
            }
            if (!args.contains("--model")) {
                args.addAll(List.of("--model", model));
            }
            if (!given.get(1).equals(in.toString()) || !c.getKey().startsWith("--text-field is")) {
                args.addAll(List.of("--text-field", "t"));
            }
            Result r = embed(args.toArray(String[]::new));
            assertEquals(2, r.code(), args + "\n" + r.err());
            assertTrue(r.err().contains(c.getKey()), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        for (String f : List.of("a", "b", "c", "e", "f")) {
            assertFalse(Files.exists(dir.resolve(f + ".parquet")), f);
        }
    }

    private static float[][] javaEmbeddings(List<String> texts, String instruction)
            throws IOException {
        TrainConfig c = TrainConfig.read(conf);
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = Trainer.tokenizer(c)) {
            NvEmbedModel model = ExportedModel.load(m, export, false);
            NvEmbedEmbedder e = new NvEmbedEmbedder(model, tok, m, 8);
            return instruction == null
                    ? e.embedDocuments(texts)
                    : e.embedQueries(instruction, texts);
        }
    }

    private static float[] vector(Group g) {
        Group list = g.getGroup("embedding", 0);
        int n = list.getFieldRepetitionCount("list");
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = list.getGroup("list", i).getFloat("element", 0);
        }
        return v;
    }

    static List<Group> read(Path file) throws IOException {
        List<Group> out = new ArrayList<>();
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
            MessageType schema = r.getFooter().getFileMetaData().getSchema();
            for (PageReadStore p = r.readNextRowGroup(); p != null; p = r.readNextRowGroup()) {
                RecordReader<Group> rows =
                        new ColumnIOFactory()
                                .getColumnIO(schema)
                                .getRecordReader(p, new GroupRecordConverter(schema));
                for (long i = 0; i < p.getRowCount(); i++) {
                    out.add(rows.read());
                }
            }
        }
        return out;
    }
}
