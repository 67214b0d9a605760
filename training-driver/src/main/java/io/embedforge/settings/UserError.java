package io.embedforge.settings;

/**
 * Marks an exception as an error the user must fix (a bad option, setting, file or input), not a
 * failure of the program: the command line prints its message on one line, without a stack trace,
 * and exits with code 2. Implemented by {@link BadInputException}, {@link InvalidSettingException}
 * and {@link InvalidFileException}.
 */
public interface UserError {
    /** The first user error in {@code error}'s cause chain, or null. */
    static Throwable find(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof UserError) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
