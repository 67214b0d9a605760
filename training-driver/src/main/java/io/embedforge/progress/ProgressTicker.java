package io.embedforge.progress;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Offers a reading to a {@link ProgressMeter} every poll period (a second, or the meter's interval
 * when shorter) from a daemon thread, for work whose progress is observed rather than driven: the
 * Spark stages. A reading of null (nothing running) is not offered. A failing report (the progress
 * file cannot be written) is printed once and stops the ticker; the work itself goes on.
 */
public final class ProgressTicker implements AutoCloseable {
    private final ScheduledExecutorService timer;

    /**
     * Starts ticking.
     *
     * @param meter the meter the readings go to (used by this ticker's thread only)
     * @param readings where a reading comes from
     * @param poll time between two readings
     * @param log where a failure is printed
     */
    public ProgressTicker(
            ProgressMeter meter,
            Supplier<ProgressMeter.Reading> readings,
            Duration poll,
            PrintStream log) {
        timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "embedforge-progress");
                            t.setDaemon(true);
                            return t;
                        });
        long millis = Math.max(1, poll.toMillis());
        timer.scheduleAtFixedRate(
                () -> {
                    try {
                        ProgressMeter.Reading r = readings.get();
                        if (r != null) {
                            meter.offer(r);
                        }
                    } catch (RuntimeException e) {
                        log.println("progress reports stopped: " + e.getMessage());
                        throw e;
                    }
                },
                millis,
                millis,
                TimeUnit.MILLISECONDS);
    }

    /** Stops ticking; waits for a report being written (never interrupts it). */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
