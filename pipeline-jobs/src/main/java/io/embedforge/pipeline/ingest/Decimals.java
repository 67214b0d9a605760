package io.embedforge.pipeline.ingest;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The one number syntax ingest accepts for scores and relevances: JSON's (RFC 8259, section 6),
 * which is also how CSV/TSV files of the recipe's datasets write numbers. Java's {@code
 * Double.parseDouble} alone would also take {@code "3f"}, {@code "4d"}, {@code "0x1p1"}, {@code "
 * 3"} and {@code "Infinity"}, none of which a dataset means as a score. Runs on executors.
 */
final class Decimals {
    /** The syntax, as error messages state it. */
    static final String SYNTAX =
            "JSON syntax: optional '-', digits without a leading zero, optional '.digits', optional"
                    + " exponent 'e[+-]digits'; no spaces, '+', hexadecimal, suffixes, NaN or"
                    + " Infinity";

    private static final Pattern DECIMAL =
            Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

    private Decimals() {}

    /** The value of a decimal in {@link #SYNTAX} (infinite when it overflows), else null. */
    static Double parse(String s) {
        return s != null && DECIMAL.matcher(s).matches() ? Double.parseDouble(s) : null;
    }

    /** Whether the text spells NaN, as Python and pandas write a missing float. */
    static boolean isNaN(String s) {
        return s != null && s.toLowerCase(Locale.ROOT).equals("nan");
    }
}
