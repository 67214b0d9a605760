package io.embedforge.progress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.settings.BadInputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * {@code --progress-json FILE}: every {@link ProgressEvent} as one JSON line, appended and flushed
 * at once, so an orchestrator can poll the file while the run goes on (schema in docs/deploy.md,
 * "Progress"). Besides the interval's reports it writes a {@code started} and a {@code finished}
 * line per stage ({@link #milestone}), so a poller sees every stage however short. A line it cannot
 * write fails the run with the file's name: a poller must not wait on a file that stopped.
 */
public final class ProgressJson implements Consumer<ProgressEvent>, AutoCloseable {
    /** The {@code step} of the line written when a stage starts. */
    public static final String STARTED = "started";

    /** The {@code step} of the line written when a stage has finished. */
    public static final String FINISHED = "finished";

    /** The {@code step} of the line written when a stage has failed. */
    public static final String FAILED = "failed";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedWriter out;

    /**
     * Opens {@code file} for appending (created with its folder when missing).
     *
     * @throws BadInputException when it cannot be opened (a folder, no permission)
     */
    public ProgressJson(Path file) {
        this.file = file;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            this.out =
                    Files.newBufferedWriter(
                            file,
                            StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new BadInputException(
                    "--progress-json "
                            + file
                            + ": cannot open it for appending ("
                            + e
                            + "); give a writable local file",
                    e);
        }
    }

    /** The writer of {@code file}, or null when there is none (the option was not given). */
    public static ProgressJson open(Path file) {
        return file == null ? null : new ProgressJson(file);
    }

    @Override
    public synchronized void accept(ProgressEvent e) {
        ProgressMeter.Reading r = e.at();
        ObjectNode n = JSON.createObjectNode();
        n.put("timestamp", e.timestamp().toString());
        n.put("stage", r.stage());
        n.put("stage_index", r.stageIndex());
        n.put("stage_count", r.stageCount());
        n.put("step", r.step());
        n.put("done", r.done());
        if (r.total() >= 0) {
            n.put("total", r.total());
        } else {
            n.putNull("total");
        }
        n.put("total_estimated", r.totalEstimated());
        n.put("unit", r.unit());
        n.put("rate", e.rate());
        if (e.etaSeconds() != null) {
            n.put("eta_s", e.etaSeconds());
        } else {
            n.putNull("eta_s");
        }
        try {
            out.write(JSON.writeValueAsString(n));
            out.newLine();
            out.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the --progress-json file " + file, ex);
        }
    }

    /**
     * A line of a stage's start ({@link #STARTED}: done 0 of 1 stage), end ({@link #FINISHED}: 1 of
     * 1, ETA 0) or failure ({@link #FAILED}: 0 of 1).
     */
    public void milestone(Instant at, String stage, int stageIndex, int stageCount, String step) {
        boolean finished = FINISHED.equals(step);
        accept(
                new ProgressEvent(
                        at,
                        new ProgressMeter.Reading(
                                stage,
                                stageIndex,
                                stageCount,
                                step,
                                finished ? 1 : 0,
                                1,
                                false,
                                "stage"),
                        0,
                        finished ? 0.0 : null));
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the --progress-json file " + file, e);
        }
    }
}
