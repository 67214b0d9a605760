package io.embedforge.settings;

/**
 * An input or a setting the user must fix: a bad configuration value, a missing or malformed input
 * folder, a file that does not exist. The command line prints its message on one line (no stack
 * trace) and exits with code 2; every other failure exits with 1. The message names what is wrong
 * (file, key, value) and what is allowed.
 */
public class BadInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether {@code error} or one of its causes is a user error: a {@link BadInputException} or an
     * {@link InvalidSettingException}.
     */
    public static Throwable find(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof BadInputException || t instanceof InvalidSettingException) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
