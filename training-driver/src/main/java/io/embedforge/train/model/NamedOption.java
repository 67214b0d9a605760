package io.embedforge.train.model;

import io.embedforge.settings.BadInputException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A model choice with one lower-case name used on command lines, in grids and in result tables
 * ({@code causal}, {@code eos}), so the name is defined once next to the value it selects.
 */
public interface NamedOption {

    /** The name on command lines and in tables. */
    String key();

    /**
     * The value of {@code values} named {@code key}.
     *
     * @param option the option or grid key being read, for the message
     * @throws BadInputException naming the option, the value and the allowed names
     */
    static <T extends NamedOption> T of(T[] values, String option, String key) {
        for (T v : values) {
            if (v.key().equals(key)) {
                return v;
            }
        }
        throw new BadInputException(
                option
                        + "="
                        + key
                        + " is not allowed; allowed: "
                        + Arrays.stream(values)
                                .map(NamedOption::key)
                                .collect(Collectors.joining(", ")));
    }
}
