package io.embedforge.progress;

import java.io.PrintStream;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;

/**
 * Progress reports as plain timestamped lines ({@code 2026-12-07T15:40:00Z progress: stage 3 of 7
 * mine-dense, ...}): one line each, never redrawn with {@code \r}, so a file or a scheduler's log
 * reads the same as a terminal.
 */
public final class ProgressConsole implements Consumer<ProgressEvent> {
    private final PrintStream out;

    public ProgressConsole(PrintStream out) {
        this.out = out;
    }

    /** This console, and {@code json} too when there is one (null: none). */
    public Consumer<ProgressEvent> andJson(ProgressJson json) {
        return json == null ? this : andThen(json);
    }

    @Override
    public void accept(ProgressEvent e) {
        out.println(e.timestamp().truncatedTo(ChronoUnit.SECONDS) + " progress: " + e.line());
    }
}
