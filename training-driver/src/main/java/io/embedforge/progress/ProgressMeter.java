package io.embedforge.progress;

import io.embedforge.settings.BadInputException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Turns "how far is it" readings into progress reports at a fixed interval: the one place rate, ETA
 * and "is a line due" are computed, for the pipeline's Spark stages and for training alike. Callers
 * {@link #offer} a {@link Reading} as often as they like (a ticker every second, a training loop
 * every step); a report goes to the sink when {@code interval} has passed since the last one. The
 * rate is units per second since the step was first seen (its units done then do not count; a count
 * going back, as when a step runs again, starts it anew), the ETA the remaining units at that rate.
 * The clock is given, so tests drive time themselves. Not thread-safe: one caller thread.
 */
public final class ProgressMeter {
    /**
     * Where a run is now.
     *
     * @param stage the running stage ({@code ingest}, ..., {@code train})
     * @param stageIndex 1-based position of the stage among those the command runs
     * @param stageCount how many stages the command runs
     * @param step the part of the stage that is running (e.g. {@code encoding}, {@code search})
     * @param done units done so far in this step
     * @param total units of the step, or -1 when not known
     * @param totalEstimated whether {@code total} is extrapolated (from the share of Spark tasks
     *     done) rather than known
     * @param unit what is counted ({@code tasks}, {@code texts}, {@code queries}, {@code steps})
     */
    public record Reading(
            String stage,
            int stageIndex,
            int stageCount,
            String step,
            long done,
            long total,
            boolean totalEstimated,
            String unit) {}

    private final InstantSource clock;
    private final Duration interval;
    private final Consumer<ProgressEvent> sink;
    private Instant lastReport;
    private String stepKey;
    private Instant stepStart;
    private long stepStartDone;
    private long lastDone;

    /**
     * @param clock the time source
     * @param interval the time between two reports; positive
     * @param sink where reports go
     */
    public ProgressMeter(InstantSource clock, Duration interval, Consumer<ProgressEvent> sink) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("progress interval must be positive: " + interval);
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.interval = interval;
        this.sink = Objects.requireNonNull(sink, "sink");
        this.lastReport = clock.instant();
    }

    /**
     * The interval of {@code --progress-interval SECONDS}: more than 0, at most an hour.
     *
     * @throws BadInputException naming the option and the allowed values otherwise
     */
    public static Duration interval(double seconds) {
        if (!(seconds > 0) || seconds > 3600) {
            throw new BadInputException(
                    "--progress-interval "
                            + seconds
                            + ": expected seconds in (0, 3600], e.g. 30 (the default)");
        }
        return Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
    }

    /** Notes {@code r}; reports it when a report is due. Returns the report, or null. */
    public ProgressEvent offer(Reading r) {
        Instant now = note(r);
        if (Duration.between(lastReport, now).compareTo(interval) < 0) {
            return null;
        }
        lastReport = now;
        ProgressEvent e = event(r, now);
        sink.accept(e);
        return e;
    }

    /**
     * Notes {@code r} and returns its rate and ETA now without reporting it: for a caller that
     * prints them in a line of its own (the training loop's every-N-steps line).
     */
    public ProgressEvent peek(Reading r) {
        return event(r, note(r));
    }

    /** Starts a new step when {@code r} is of another step or its count went back; now. */
    private Instant note(Reading r) {
        Instant now = clock.instant();
        String key =
                r.stage() + '\u0000' + r.stageIndex() + '\u0000' + r.step() + '\u0000' + r.unit();
        if (!key.equals(stepKey) || r.done() < lastDone) {
            stepKey = key;
            stepStart = now;
            stepStartDone = r.done();
        }
        lastDone = r.done();
        return now;
    }

    /** The report of {@code r} at {@code now}, whether due or not. */
    private ProgressEvent event(Reading r, Instant now) {
        double seconds = Duration.between(stepStart, now).toMillis() / 1000.0;
        long units = r.done() - stepStartDone;
        double rate = seconds > 0 && units > 0 ? units / seconds : 0;
        Double eta = null;
        if (r.total() > 0 && r.done() >= r.total()) {
            eta = 0.0;
        } else if (r.total() >= 0 && rate > 0) {
            eta = (r.total() - r.done()) / rate;
        }
        return new ProgressEvent(now, r, rate, eta);
    }
}
