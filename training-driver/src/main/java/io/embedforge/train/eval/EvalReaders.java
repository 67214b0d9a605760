package io.embedforge.train.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Readers of the evaluation files, one format each. Blank lines are not records. Every bad record
 * goes to {@link BadRecords} with its file and line (fatal or counted); a missing or unreadable
 * file, or bytes that are not UTF-8, is an {@link IOException} naming the file (and line).
 */
public final class EvalReaders {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** STS Benchmark's score scale. */
    public static final double STS_MAX = 5.0;

    /**
     * STS pairs in input order.
     *
     * @param a first sentences
     * @param b second sentences
     * @param gold gold similarity
     */
    public record StsPairs(List<String> a, List<String> b, double[] gold) {}

    /**
     * One judgement line.
     *
     * @param query query id
     * @param doc document id
     * @param relevance grade (0 = judged not relevant)
     * @param line 1-based line in the qrels file
     */
    public record Judgement(String query, String doc, int relevance, long line) {}

    /** Receives one non-blank line. */
    @FunctionalInterface
    interface LineHandler {
        void line(long number, String text) throws IOException;
    }

    private EvalReaders() {}

    /**
     * STS Benchmark TSV: {@code genre, file, year, id, score, sentence1, sentence2[, extra...]}, no
     * header, no quoting; scores in [0, 5].
     *
     * @param max keep the first N good pairs (0 = all)
     */
    public static StsPairs stsBenchmark(Path file, int max, BadRecords bad) throws IOException {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        List<Double> gold = new ArrayList<>();
        lines(
                file,
                (n, line) -> {
                    if (max > 0 && a.size() >= max) {
                        return;
                    }
                    String[] f = line.split("\t", -1);
                    if (f.length < 7) {
                        bad.report(file, n, BadRecords.MALFORMED, f.length + " columns, need 7");
                        return;
                    }
                    double score;
                    try {
                        score = Double.parseDouble(f[4].trim());
                    } catch (NumberFormatException e) {
                        bad.report(file, n, BadRecords.BAD_SCORE, "score '" + f[4] + "'");
                        return;
                    }
                    if (!Double.isFinite(score)) {
                        bad.report(file, n, BadRecords.BAD_SCORE, "score " + f[4]);
                        return;
                    }
                    if (score < 0 || score > STS_MAX) {
                        bad.report(
                                file,
                                n,
                                BadRecords.SCORE_RANGE,
                                "score " + score + " not in [0, 5]");
                        return;
                    }
                    if (f[5].isBlank() || f[6].isBlank()) {
                        bad.report(file, n, BadRecords.EMPTY_TEXT, "a sentence is blank");
                        return;
                    }
                    a.add(f[5]);
                    b.add(f[6]);
                    gold.add(score);
                });
        return new StsPairs(a, b, gold.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * BEIR {@code corpus.jsonl}: {@code {"_id", "title", "text"}}; the text is {@code title + " " +
     * text} (title may be empty), as BEIR feeds dense models.
     */
    public static Map<String, String> beirCorpus(Path file, BadRecords bad) throws IOException {
        return jsonl(file, true, bad);
    }

    /** BEIR {@code queries.jsonl}: {@code {"_id", "text"}}. */
    public static Map<String, String> beirQueries(Path file, BadRecords bad) throws IOException {
        return jsonl(file, false, bad);
    }

    private static Map<String, String> jsonl(Path file, boolean title, BadRecords bad)
            throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        lines(
                file,
                (n, line) -> {
                    JsonNode o = json(file, n, line, bad);
                    if (o == null) {
                        return;
                    }
                    if (!o.isObject()) {
                        bad.report(file, n, BadRecords.MALFORMED, "not a JSON object");
                        return;
                    }
                    JsonNode id = o.get("_id");
                    JsonNode text = o.get("text");
                    if (id == null || !(id.isTextual() || id.isNumber())) {
                        bad.report(file, n, BadRecords.MISSING_FIELD, "_id absent or not a string");
                        return;
                    }
                    if (text == null || !text.isTextual()) {
                        bad.report(
                                file, n, BadRecords.MISSING_FIELD, "text absent or not a string");
                        return;
                    }
                    String t = text.asText();
                    JsonNode ti = o.get("title");
                    if (title && ti != null && ti.isTextual() && !ti.asText().isBlank()) {
                        t = ti.asText() + " " + t;
                    }
                    add(out, id.asText(), t, file, n, bad);
                });
        return out;
    }

    /** The line as JSON, or null after reporting it as malformed. */
    static JsonNode json(Path file, long n, String line, BadRecords bad) throws IOException {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            bad.report(file, n, BadRecords.MALFORMED, "not JSON: " + e.getOriginalMessage());
            return null;
        }
    }

    /** {@code qid<TAB>text} per line (Anserini topics); gzip when the name ends in {@code .gz}. */
    public static Map<String, String> tsvQueries(Path file, BadRecords bad) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        lines(
                file,
                (n, line) -> {
                    int tab = line.indexOf('\t');
                    if (tab <= 0) {
                        bad.report(file, n, BadRecords.MALFORMED, "no qid<TAB>text");
                        return;
                    }
                    add(out, line.substring(0, tab).trim(), line.substring(tab + 1), file, n, bad);
                });
        return out;
    }

    /** BEIR {@code qrels/*.tsv}: header {@code query-id corpus-id score}, then tab-separated. */
    public static List<Judgement> beirQrels(Path file, BadRecords bad) throws IOException {
        return qrels(file, "\t", 3, bad);
    }

    /** TREC qrels: {@code qid 0|Q0 docid rel}, whitespace-separated, no header. */
    public static List<Judgement> trecQrels(Path file, BadRecords bad) throws IOException {
        return qrels(file, "\\s+", 4, bad);
    }

    private static List<Judgement> qrels(Path file, String sep, int columns, BadRecords bad)
            throws IOException {
        List<Judgement> out = new ArrayList<>();
        lines(
                file,
                (n, line) -> {
                    String[] f = line.trim().split(sep);
                    if (n == 1 && columns == 3 && f[0].equals("query-id")) {
                        return;
                    }
                    if (f.length != columns) {
                        bad.report(
                                file,
                                n,
                                BadRecords.MALFORMED,
                                f.length + " columns, need " + columns);
                        return;
                    }
                    int rel;
                    try {
                        rel = Integer.parseInt(f[columns - 1]);
                    } catch (NumberFormatException e) {
                        bad.report(
                                file,
                                n,
                                BadRecords.BAD_SCORE,
                                "relevance '" + f[columns - 1] + "'");
                        return;
                    }
                    out.add(new Judgement(f[0], f[columns - 2], rel, n));
                });
        return out;
    }

    private static final Pattern PY_STRING =
            Pattern.compile("'((?:[^'\\\\]|\\\\.)*)'|\"((?:[^\"\\\\]|\\\\.)*)\"");

    /**
     * The SciFact Hugging Face CSV export: header {@code doc_id,title,abstract,structured}; the
     * abstract is a Python/numpy list repr of sentences inside a quoted, multi-line field. The text
     * is {@code title + " " + sentences joined by spaces} (BEIR SciFact's title and text).
     */
    public static Map<String, String> scifactCorpus(Path file, BadRecords bad) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<Csv.Row> rows = Csv.read(file, bad);
        if (rows.isEmpty()
                || !rows.get(0)
                        .fields()
                        .equals(List.of("doc_id", "title", "abstract", "structured"))) {
            throw new IOException(
                    file
                            + ":1: header must be doc_id,title,abstract,structured, got "
                            + (rows.isEmpty() ? "an empty file" : rows.get(0).fields()));
        }
        for (Csv.Row r : rows.subList(1, rows.size())) {
            List<String> f = r.fields();
            if (f.size() != 4) {
                bad.report(file, r.line(), BadRecords.MALFORMED, f.size() + " columns, need 4");
                continue;
            }
            StringBuilder text = new StringBuilder(f.get(1).strip());
            Matcher m = PY_STRING.matcher(f.get(2));
            while (m.find()) {
                String s = m.group(1) != null ? m.group(1) : m.group(2);
                text.append(' ').append(s.replace("\\'", "'").replace("\\\"", "\"").strip());
            }
            add(out, f.get(0).strip(), text.toString().strip(), file, r.line(), bad);
        }
        return out;
    }

    /**
     * Three line-aligned files (InferSent/e-SNLI layout): premise, hypothesis, label.
     *
     * @return the rows; a length mismatch is an error naming the three files
     */
    public static List<String[]> alignedLines(Path a, Path b, Path c) throws IOException {
        List<String> la = allLines(a);
        List<String> lb = allLines(b);
        List<String> lc = allLines(c);
        if (la.size() != lb.size() || la.size() != lc.size()) {
            throw new IOException(
                    String.format(
                            "line counts differ: %s has %d, %s has %d, %s has %d",
                            a, la.size(), b, lb.size(), c, lc.size()));
        }
        List<String[]> out = new ArrayList<>(la.size());
        for (int i = 0; i < la.size(); i++) {
            out.add(new String[] {la.get(i).strip(), lb.get(i).strip(), lc.get(i).strip()});
        }
        return out;
    }

    private static List<String> allLines(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = open(file)) {
            long n = 0;
            for (String line; (line = readLine(r, file, n + 1)) != null; ) {
                n++;
                out.add(line);
            }
        }
        // a trailing empty line is the final newline, not a record
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    private static void add(
            Map<String, String> out, String id, String text, Path file, long n, BadRecords bad)
            throws IOException {
        if (id.isBlank()) {
            bad.report(file, n, BadRecords.MISSING_FIELD, "empty id");
        } else if (text.isBlank() || text.strip().replaceAll("[\\s\\p{Z}]+", "").isEmpty()) {
            bad.report(file, n, BadRecords.EMPTY_TEXT, "id " + id);
        } else if (out.containsKey(id)) {
            bad.report(file, n, BadRecords.DUPLICATE_ID, "id " + id + " again (first kept)");
        } else {
            out.put(id, text);
        }
    }

    static void lines(Path file, LineHandler h) throws IOException {
        try (BufferedReader r = open(file)) {
            long n = 0;
            for (String line; (line = readLine(r, file, n + 1)) != null; ) {
                n++;
                if (!line.isBlank()) {
                    h.line(n, line);
                }
            }
        }
    }

    private static String readLine(BufferedReader r, Path file, long n) throws IOException {
        try {
            return r.readLine();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ":" + n + ": not UTF-8 (" + e + ")", e);
        }
    }

    static BufferedReader open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " does not exist or is not a file");
        }
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()));
    }
}
