package io.embedforge.settings;

/**
 * An input or a setting the user must fix: a bad configuration value, a missing or malformed input
 * folder, a file that does not exist. The command line prints its message on one line (no stack
 * trace) and exits with code 2; every other failure exits with 1. The message names what is wrong
 * (file, key, value) and what is allowed.
 */
public class BadInputException extends RuntimeException implements UserError {
    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
