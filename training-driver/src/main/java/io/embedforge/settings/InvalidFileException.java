package io.embedforge.settings;

import java.io.IOException;

/**
 * A file the user named that cannot be used: missing, not the format it should be, or holding an
 * invalid value. An {@link IOException} for the callers that read files, and a {@link UserError}
 * for the command line (one line, exit code 2).
 */
public final class InvalidFileException extends IOException implements UserError {
    private static final long serialVersionUID = 1L;

    public InvalidFileException(String message) {
        super(message);
    }

    public InvalidFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
