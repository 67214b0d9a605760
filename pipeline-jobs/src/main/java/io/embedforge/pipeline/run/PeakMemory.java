package io.embedforge.pipeline.run;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak memory of this JVM over one stage, so the manifest and the progress log say what a stage
 * needed, not only how long it took: the process's resident high-water mark (heap, metaspace and
 * native memory such as libtorch and ONNX Runtime arenas) and the heap pools' peaks.
 *
 * <p>Both marks are reset when a stage starts: the resident one through Linux's {@code
 * /proc/self/clear_refs} (elsewhere, or when that fails, it is not reported rather than reported
 * since JVM start), the heap ones through the memory pool beans. In local mode the driver is also
 * the executor; on a cluster these are the driver's numbers, and the executors' peaks are in
 * Spark's executor metrics (UI, event log).
 */
public final class PeakMemory {
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
    private static final Path STATUS = Path.of("/proc/self/status");

    /**
     * @param rssPeakMb resident high-water mark since the reset, MiB; null when not measurable
     * @param heapPeakMb sum of the heap pools' peaks since the reset, MiB: an upper bound of the
     *     peak heap in use (pools peak at different times)
     */
    public record Reading(
            @JsonProperty("rss_peak_mb") Long rssPeakMb,
            @JsonProperty("heap_peak_mb") long heapPeakMb) {
        /** For the progress log. */
        public String describe() {
            return (rssPeakMb == null ? "" : "peak RSS " + rssPeakMb + " MB, ")
                    + "heap <= "
                    + heapPeakMb
                    + " MB";
        }
    }

    private final boolean rssReset;

    private PeakMemory(boolean rssReset) {
        this.rssReset = rssReset;
    }

    /** Resets the high-water marks and starts a measurement. */
    public static PeakMemory start() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                pool.resetPeakUsage();
            }
        }
        boolean reset;
        try {
            // "5" resets the peak resident set size (Linux >= 4.0).
            Files.writeString(CLEAR_REFS, "5", StandardCharsets.US_ASCII);
            reset = true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            reset = false;
        }
        return new PeakMemory(reset);
    }

    /** The peaks since {@link #start()}. */
    public Reading read() {
        long heap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                heap += pool.getPeakUsage().getUsed();
            }
        }
        return new Reading(rssReset ? rssHighWaterMarkMb() : null, heap >> 20);
    }

    /**
     * The process's resident high-water mark (VmHWM of {@code /proc/self/status}) in MiB: since the
     * last reset, or since start when nothing reset it; null when not measurable (not Linux).
     */
    public static Long rssHighWaterMarkMb() {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or an unexpected format: not measurable
        }
        return null;
    }
}
