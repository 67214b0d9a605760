package io.embedforge.pipeline;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The Markdown table a hand-run benchmark prints as it goes and writes to {@code target/} at the
 * end, so a run's numbers can be pasted into the docs as they were printed. Locale-independent
 * formatting: decimal points stay points whatever the machine's locale.
 */
public final class BenchReport {
    private final StringBuilder text = new StringBuilder();

    /** Formats one line, prints it and keeps it for {@link #write}. */
    public void line(String format, Object... args) {
        String s = String.format(Locale.ROOT, format, args);
        System.out.println(s);
        text.append(s).append('\n');
    }

    /**
     * CPU time of the whole JVM process (all threads, native ones included), in ns: on a machine
     * shared with other tenants it moves far less than wall time.
     */
    public static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Writes every line so far to {@code file}. */
    public void write(Path file) throws IOException {
        Files.writeString(file, text.toString());
    }
}
