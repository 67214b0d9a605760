package io.embedforge.train.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a classification or clustering file ({@link LabelledTexts}) into texts and labels, in file
 * order. Whitespace runs in a text become one space. A row with the wrong field count, bad JSON, an
 * empty text or label, or a label the pattern does not match goes to {@link BadRecords}; a header
 * lacking a configured column is an {@link IOException} naming the file, the column and the header.
 */
final class LabelledReader {

    private LabelledReader() {}

    static Labelled read(Path file, LabelledTexts spec, BadRecords bad) throws IOException {
        Labelled out = new Labelled(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        Pattern pattern = spec.labelPattern() == null ? null : Pattern.compile(spec.labelPattern());
        switch (spec.format()) {
            case LabelledTexts.JSONL -> readJsonl(file, spec, pattern, out, bad);
            case LabelledTexts.CSV -> {
                if (spec.delimiter().length() != 1) {
                    throw new IOException(
                            file
                                    + ": csv needs a one-character delimiter, got '"
                                    + spec.delimiter()
                                    + "'");
                }
                List<Csv.Row> rows = Csv.read(file, spec.delimiter().charAt(0), bad);
                table(file, spec, pattern, rows, out, bad);
            }
            default -> {
                List<Csv.Row> rows = new ArrayList<>();
                String sep = Pattern.quote(spec.delimiter());
                EvalReaders.lines(
                        file,
                        (n, line) -> rows.add(new Csv.Row(n, Arrays.asList(line.split(sep, -1)))));
                table(file, spec, pattern, rows, out, bad);
            }
        }
        return out;
    }

    private static void table(
            Path file,
            LabelledTexts spec,
            Pattern pattern,
            List<Csv.Row> rows,
            Labelled out,
            BadRecords bad)
            throws IOException {
        if (rows.isEmpty()) {
            throw new IOException(file + " is empty; need a header row");
        }
        List<String> header = rows.get(0).fields();
        int[] text = new int[spec.textField().size()];
        for (int i = 0; i < text.length; i++) {
            text[i] = column(file, header, spec.textField().get(i));
        }
        int label = column(file, header, spec.labelField());
        for (Csv.Row r : rows.subList(1, rows.size())) {
            List<String> f = r.fields();
            if (f.size() != header.size()) {
                bad.report(
                        file,
                        r.line(),
                        BadRecords.MALFORMED,
                        f.size() + " fields, the header has " + header.size());
                continue;
            }
            add(
                    file,
                    r.line(),
                    parts(text.length, i -> f.get(text[i])),
                    f.get(label),
                    pattern,
                    out,
                    bad);
        }
    }

    private static int column(Path file, List<String> header, String name) throws IOException {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new IOException(file + ":1: no column '" + name + "' in header " + header);
        }
        return i;
    }

    private static void readJsonl(
            Path file, LabelledTexts spec, Pattern pattern, Labelled out, BadRecords bad)
            throws IOException {
        EvalReaders.lines(
                file,
                (n, line) -> {
                    JsonNode o = EvalReaders.json(file, n, line, bad);
                    if (o == null) {
                        return;
                    }
                    List<String> names = new ArrayList<>(spec.textField());
                    names.add(spec.labelField());
                    for (String name : names) {
                        if (!o.isObject() || o.get(name) == null || !o.get(name).isValueNode()) {
                            bad.report(
                                    file,
                                    n,
                                    BadRecords.MISSING_FIELD,
                                    name + " absent or not a value");
                            return;
                        }
                    }
                    List<String> text =
                            parts(spec.textField().size(), i -> o.get(names.get(i)).asText());
                    add(file, n, text, o.get(spec.labelField()).asText(), pattern, out, bad);
                });
    }

    /** The first {@code count} text fields, whitespace runs collapsed, blank ones left out. */
    private static List<String> parts(int count, IntFunction<String> field) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String p = field.apply(i).strip().replaceAll("\\s+", " ");
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    private static void add(
            Path file,
            long line,
            List<String> parts,
            String rawLabel,
            Pattern pattern,
            Labelled out,
            BadRecords bad)
            throws IOException {
        String text = String.join(" ", parts);
        String label = rawLabel.strip();
        if (pattern != null) {
            Matcher m = pattern.matcher(label);
            if (!m.find() || m.group(1) == null || m.group(1).isEmpty()) {
                bad.report(
                        file,
                        line,
                        BadRecords.UNKNOWN_LABEL,
                        "label '" + rawLabel + "' does not match " + pattern);
                return;
            }
            label = m.group(1);
        }
        if (text.isEmpty()) {
            bad.report(file, line, BadRecords.EMPTY_TEXT, "text is blank");
        } else if (label.isEmpty()) {
            bad.report(file, line, BadRecords.UNKNOWN_LABEL, "label is blank");
        } else {
            out.texts().add(text);
            out.labels().add(label);
            out.parts().add(List.copyOf(parts));
        }
    }
}
