package io.embedforge.pipeline.blend;

import io.embedforge.settings.BadInputException;

/**
 * A bad input from an earlier stage (missing folder, missing columns, nothing to blend): the
 * message names the stage and the path, so the user knows which stage to re-run.
 */
public final class BlendException extends BadInputException {
    private static final long serialVersionUID = 1L;

    public BlendException(String message) {
        super(message);
    }
}
