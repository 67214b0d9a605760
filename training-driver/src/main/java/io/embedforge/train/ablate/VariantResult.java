package io.embedforge.train.ablate;

import io.embedforge.train.ModelVariant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one variant of an ablation gave: its eval scores, or the error that stopped it (the other
 * variants go on).
 *
 * @param variant mask and pooling
 * @param error {@code null} when it trained and evaluated, else the exception's class and message
 * @param scores set name to metric name to value (empty when failed)
 * @param steps training updates done (both stages)
 * @param lastLoss loss of the last update ({@code NaN} if none)
 * @param trainSeconds wall time of training
 * @param evalSeconds wall time of evaluation
 */
public record VariantResult(
        ModelVariant variant,
        String error,
        Map<String, Map<String, Double>> scores,
        long steps,
        double lastLoss,
        double trainSeconds,
        double evalSeconds) {

    /** Copies the scores, keeping their order. */
    public VariantResult {
        scores = new LinkedHashMap<>(scores);
    }

    /** Whether it trained and evaluated. */
    public boolean ok() {
        return error == null;
    }

    /** A variant that failed after {@code seconds}, with what stopped it. */
    public static VariantResult failed(ModelVariant variant, Throwable error, double seconds) {
        String message = error.getClass().getSimpleName() + ": " + error.getMessage();
        return new VariantResult(variant, message, Map.of(), 0, Double.NaN, seconds, 0);
    }
}
