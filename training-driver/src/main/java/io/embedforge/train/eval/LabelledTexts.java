package io.embedforge.train.eval;

import java.util.List;

/**
 * How a labelled text file (classification or clustering set) is read: one record per row with a
 * text and a label, in the file's own layout, so the samples need no conversion.
 *
 * @param format {@link #CSV} (RFC 4180 quoting, header row), {@link #DELIMITED} (header row, fields
 *     split on {@code delimiter}, no quoting) or {@link #JSONL} (one JSON object per line)
 * @param delimiter the separator: {@link #CSV} one character (default a comma; a tab for quoted
 *     TSV), {@link #DELIMITED} any string (default a tab)
 * @param textField the column or JSON field of the text; several are joined by a space (arXiv title
 *     + abstract)
 * @param labelField the column or JSON field of the label
 * @param labelPattern optional regular expression whose first group, found in the label, is the
 *     label (arXiv: {@code ^([^ .]+)} keeps the archive of the first category); no match is a bad
 *     record
 */
public record LabelledTexts(
        String format,
        String delimiter,
        List<String> textField,
        String labelField,
        String labelPattern) {

    /** {@code format}: RFC 4180 CSV with a header row. */
    public static final String CSV = "csv";

    /** {@code format}: a header row, then fields split on {@code delimiter}, no quoting. */
    public static final String DELIMITED = "delimited";

    /** {@code format}: JSON Lines. */
    public static final String JSONL = "jsonl";

    /** Allowed formats. */
    public static final List<String> FORMATS = List.of(CSV, DELIMITED, JSONL);

    /** Fills the default delimiter. */
    public LabelledTexts {
        delimiter = delimiter != null ? delimiter : CSV.equals(format) ? "," : "\t";
        textField = textField == null ? null : List.copyOf(textField);
    }
}
