package io.embedforge.pipeline.config;

import java.io.Serializable;

/**
 * The published range and direction of an STS source's scores. Ingest rescales every score to the
 * recipe's 0..5 scale (5 = equivalent) so one set of thresholds serves every source.
 */
public record ScoreSpec(double min, double max, boolean invert) implements Serializable {
    public static final double TARGET_MAX = 5.0;

    public ScoreSpec {
        if (!(Double.isFinite(min) && Double.isFinite(max) && max > min)) {
            throw new IllegalArgumentException(
                    "score.max=" + max + " must be finite and > score.min=" + min);
        }
    }

    public static ScoreSpec zeroToFive() {
        return new ScoreSpec(0, 5, false);
    }

    public boolean inRange(double raw) {
        return raw >= min && raw <= max;
    }

    /** The raw score on the 0..5 scale; the caller checked {@link #inRange}. */
    public double rescale(double raw) {
        double unit = (raw - min) / (max - min);
        return (invert ? 1 - unit : unit) * TARGET_MAX;
    }
}
