package io.embedforge.train.loop;

/** The loss or gradient became non-finite; the message names stage, step, batch and checkpoint. */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what diverged and which checkpoint is the last good one
     */
    public TrainingDivergedException(String message) {
        super(message);
    }
}
