package io.embedforge.pipeline.export;

import io.embedforge.pipeline.config.ConfigException;
import java.util.Map;
import java.util.Objects;

/**
 * The export's accounting, checked before its manifest is written: per source, the rows read equal
 * the blend manifest's rows written (else the blend folder was changed after its run), and read =
 * written + dropped; the rows counted again from the written files equal the rows written.
 */
final class Reconcile {
    private Reconcile() {}

    static void check(BlendFolder blend, String stage, StageExport counts, long reread) {
        Map<String, Long> expected = blend.summary().stage(stage).rowsOut();
        Map<String, Long> read = counts.read();
        for (String source : union(expected, read)) {
            long want = expected.getOrDefault(source, 0L);
            long have = read.getOrDefault(source, 0L);
            if (want != have) {
                throw new ConfigException(
                        blend.stagePath(stage)
                                + " holds "
                                + have
                                + " rows of source '"
                                + source
                                + "' but its manifest.json says "
                                + want
                                + " (the blend folder was changed after its run; re-run blend)");
            }
        }
        for (String source : read.keySet()) {
            long dropped =
                    counts.dropped().values().stream()
                            .mapToLong(bySource -> bySource.getOrDefault(source, 0L))
                            .sum();
            long written = counts.written().getOrDefault(source, 0L);
            if (read.get(source) != written + dropped) {
                throw new IllegalStateException(
                        stage
                                + "/"
                                + source
                                + ": read "
                                + read.get(source)
                                + " != written "
                                + written
                                + " + dropped "
                                + dropped);
            }
        }
        if (reread != counts.rows()) {
            throw new IllegalStateException(
                    stage + ": " + counts.rows() + " rows written but " + reread + " in the files");
        }
    }

    private static java.util.Set<String> union(Map<String, Long> a, Map<String, Long> b) {
        java.util.Set<String> all = new java.util.TreeSet<>(a.keySet());
        all.addAll(b.keySet());
        all.removeIf(Objects::isNull);
        return all;
    }
}
