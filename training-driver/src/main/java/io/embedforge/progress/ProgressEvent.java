package io.embedforge.progress;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * One progress report: a {@link ProgressMeter.Reading} (stage k of N, step, done of total in its
 * unit) with how fast it goes and how long it still needs. What the console line and the {@code
 * --progress-json} line are made from.
 *
 * @param timestamp when it was measured
 * @param at where the run was
 * @param rate units per second since the step started (0 before the first unit)
 * @param etaSeconds seconds the step still needs at that rate, or null when not known
 */
public record ProgressEvent(
        Instant timestamp, ProgressMeter.Reading at, double rate, Double etaSeconds) {

    /**
     * The console form: {@code stage 3 of 7 mine-dense, encoding: 1200/~5000 texts, 41.3 texts/s,
     * ETA 1m32s}.
     */
    public String line() {
        String of = at.total() < 0 ? "" : "/" + (at.totalEstimated() ? "~" : "") + at.total();
        return String.format(
                Locale.ROOT,
                "stage %d of %d %s, %s: %d%s %s, %s %s/s, ETA %s",
                at.stageIndex(),
                at.stageCount(),
                at.stage(),
                at.step(),
                at.done(),
                of,
                at.unit(),
                rate(rate),
                at.unit(),
                etaSeconds == null ? "unknown" : duration(etaSeconds));
    }

    /** A rate with 3 significant digits. */
    private static String rate(double r) {
        return r >= 100
                ? String.format(Locale.ROOT, "%.0f", r)
                : String.format(Locale.ROOT, "%.3g", r);
    }

    /** {@code 45s}, {@code 3m05s}, {@code 2h03m}. */
    public static String duration(double seconds) {
        Duration d = Duration.ofSeconds(Math.round(seconds));
        if (d.toHours() > 0) {
            return String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart());
        }
        if (d.toMinutes() > 0) {
            return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
        }
        return d.toSeconds() + "s";
    }
}
