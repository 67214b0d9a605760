package io.embedforge.pipeline.run;

import io.embedforge.progress.ProgressConsole;
import io.embedforge.progress.ProgressJson;
import io.embedforge.progress.ProgressMeter;
import io.embedforge.progress.ProgressTicker;
import java.io.PrintStream;
import java.time.Duration;
import java.time.InstantSource;
import org.apache.spark.sql.SparkSession;

/**
 * The progress reports of one pipeline run: a {@link SparkProgress} listener on the session, a
 * {@link ProgressMeter} reporting what it reads every {@code interval} as a log line (and, with
 * {@code --progress-json}, a JSON line), polled by a {@link ProgressTicker}. Closing it removes the
 * listener. Driver only.
 */
public final class StageProgress implements AutoCloseable {
    /** The interval when none is given: a line at least every 30 s. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);

    private static final Duration POLL = Duration.ofSeconds(1);

    private final SparkSession spark;
    private final SparkProgress listener;
    private final ProgressTicker ticker;

    /**
     * Starts reporting on {@code spark}.
     *
     * @param interval the time between two lines
     * @param json the {@code --progress-json} file (its caller closes it), or null
     * @param log where the lines go
     */
    public StageProgress(
            SparkSession spark, Duration interval, ProgressJson json, PrintStream log) {
        this.spark = spark;
        InstantSource clock = InstantSource.system();
        this.listener = new SparkProgress(json, clock);
        // Readings every poll (a second, at most half the interval); a line once interval - poll
        // has passed, so two lines are never more than the interval apart.
        Duration half = interval.dividedBy(2);
        Duration poll = half.compareTo(POLL) < 0 ? half : POLL;
        ProgressMeter meter =
                new ProgressMeter(
                        clock, interval.minus(poll), new ProgressConsole(log).andJson(json));
        spark.sparkContext().addSparkListener(listener);
        this.ticker = new ProgressTicker(meter, listener::reading, poll, log);
    }

    /** The listener the pipeline tells which stage runs. */
    public SparkProgress stages() {
        return listener;
    }

    @Override
    public void close() {
        ticker.close();
        spark.sparkContext().removeSparkListener(listener);
    }
}
