package io.embedforge.pipeline.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.stage.StageContext;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Runs one stage with skip-if-unchanged and all-or-nothing output. Driver only.
 *
 * <p>A stage writes under a fresh temporary root {@code <out>/_tmp/<dir>-<uuid>/}; on success its
 * folder is renamed to {@code <out>/<dir>/}, its manifest written, and last the marker {@code
 * <out>/<dir>/_EMBEDFORGE_STAGE} holding the stage's fingerprint and the {@link OutputDigest} of
 * what it committed. A folder without the marker (a run killed before the commit finished) is never
 * trusted: it is re-run and replaced. A stage is skipped when its marker holds the fingerprint it
 * would have now (see {@link Pipeline}: its settings, its raw inputs by content, and the output
 * digests of the stages it reads).
 */
public final class StageRunner {
    /** Marker of a committed stage output (JSON: stage, fingerprint, output, finished). */
    public static final String MARKER = "_EMBEDFORGE_STAGE";

    /** Where stages write before their commit. */
    public static final String TMP_DIR = "_tmp";

    private final SparkSession spark;
    private final PipelineConfig config;
    private final String out;
    private final boolean force;
    private final PrintStream log;

    public StageRunner(
            SparkSession spark, PipelineConfig config, String out, boolean force, PrintStream log) {
        this.spark = spark;
        this.config = config;
        this.out = out;
        this.force = force;
        this.log = log;
    }

    /** The body of a stage: writes under {@code tmpRoot/<dir>} and returns its summary. */
    @FunctionalInterface
    public interface Body {
        Object run(String tmpRoot) throws Exception;
    }

    /**
     * What the runner did with a stage.
     *
     * @param output the {@link OutputDigest} of its committed output
     */
    public record Outcome(
            String stage, boolean skipped, String fingerprint, String output, double seconds) {}

    /**
     * What a committed marker says.
     *
     * @param fingerprint the fingerprint the output was made with
     * @param output the {@link OutputDigest} of the output
     */
    public record Committed(String fingerprint, String output) {}

    /**
     * Runs {@code body} unless the committed output of {@code dir} already has {@code fingerprint}.
     */
    public Outcome run(
            String stage, String dir, String fingerprint, Object params, Object inputs, Body body) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Committed committed = committed(conf, out, dir);
        if (!force && committed != null && fingerprint.equals(committed.fingerprint())) {
            log.printf(
                    Locale.ROOT,
                    "== %-16s skipped: output and inputs unchanged (%s)%n",
                    stage,
                    StageContext.join(out, dir));
            return new Outcome(stage, true, fingerprint, committed.output(), 0);
        }
        Instant started = Instant.now();
        PeakMemory memory = PeakMemory.start();
        log.printf(Locale.ROOT, "== %-16s started %s%n", stage, started);
        spark.sparkContext().setJobGroup(stage, "embedforge " + stage, false);
        String tmpRoot = StageContext.join(out, TMP_DIR, dir + "-" + UUID.randomUUID());
        Object summary;
        try {
            summary = body.run(tmpRoot);
            FileSystem fs = new Path(out).getFileSystem(conf);
            Path target = new Path(StageContext.join(out, dir));
            Path written = new Path(StageContext.join(tmpRoot, dir));
            if (!fs.exists(written)) {
                throw new IllegalStateException(
                        "stage " + stage + " wrote nothing under " + written);
            }
            if (fs.exists(target) && !fs.delete(target, true)) {
                throw new IOException("cannot replace " + target);
            }
            fs.mkdirs(target.getParent());
            if (!fs.rename(written, target)) {
                throw new IOException("cannot rename " + written + " to " + target);
            }
            fs.delete(new Path(tmpRoot), true);
        } catch (Exception e) {
            deleteQuietly(conf, tmpRoot);
            log.printf(
                    Locale.ROOT,
                    "== %-16s FAILED after %s: %s%n",
                    stage,
                    seconds(started),
                    e.getMessage());
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("stage " + stage + " failed: " + e.getMessage(), e);
        } finally {
            deleteTmpIfEmpty(conf);
            spark.sparkContext().clearJobGroup();
        }
        String output = OutputDigest.of(conf, StageContext.join(out, dir));
        Instant finished = Instant.now();
        PeakMemory.Reading peak = memory.read();
        ManifestWriter.writeStage(
                conf,
                out,
                new ManifestWriter.StageRecord(
                        stage, dir, fingerprint, output, params, inputs, peak),
                config,
                started,
                finished,
                summary);
        writeMarker(conf, StageContext.join(out, dir), stage, fingerprint, output, finished);
        double secs = (finished.toEpochMilli() - started.toEpochMilli()) / 1000.0;
        log.printf(
                Locale.ROOT,
                "== %-16s finished in %.1f s (%s) -> %s%n",
                stage,
                secs,
                peak.describe(),
                StageContext.join(out, dir));
        return new Outcome(stage, false, fingerprint, output, secs);
    }

    /**
     * Writes the marker that commits the output folder {@code folder}: the last write of a commit.
     */
    public static void writeMarker(
            Configuration conf,
            String folder,
            String stage,
            String fingerprint,
            String output,
            Instant finished) {
        ObjectNode marker = ManifestWriter.mapper().createObjectNode();
        marker.put("stage", stage);
        marker.put("fingerprint", fingerprint);
        marker.put("output", output);
        marker.put("finished", finished.toString());
        ManifestWriter.write(conf, StageContext.join(folder, MARKER), marker);
    }

    /** Fingerprint in the committed marker of {@code dir}, or null when it has none. */
    public String fingerprintOf(String dir) {
        return committedFingerprint(spark.sparkContext().hadoopConfiguration(), out, dir);
    }

    /**
     * Fingerprint in the committed marker of {@code <out>/<dir>}, or null when it has none (no
     * output, or a run stopped before committing it). Needs no Spark session.
     */
    public static String committedFingerprint(Configuration conf, String out, String dir) {
        Committed c = committed(conf, out, dir);
        return c == null ? null : c.fingerprint();
    }

    /**
     * The committed marker of {@code <out>/<dir>}, or null when there is none. A marker written
     * before output digests existed gets the digest of the folder as it is. Needs no Spark.
     */
    public static Committed committed(Configuration conf, String out, String dir) {
        ObjectNode m = ManifestWriter.read(conf, StageContext.join(out, dir, MARKER));
        JsonNode f = m == null ? null : m.get("fingerprint");
        if (f == null) {
            return null;
        }
        JsonNode o = m.get("output");
        String output =
                o != null && o.isTextual()
                        ? o.asText()
                        : OutputDigest.of(conf, StageContext.join(out, dir));
        return new Committed(f.asText(), output);
    }

    /** SHA-256 (hex) over the parts, each length-prefixed. */
    public static String hash(List<String> parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                byte[] b = String.valueOf(p).getBytes(StandardCharsets.UTF_8);
                md.update((b.length + ":").getBytes(StandardCharsets.UTF_8));
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String seconds(Instant started) {
        return String.format(
                Locale.ROOT,
                "%.1f s",
                Duration.between(started, Instant.now()).toMillis() / 1000.0);
    }

    /**
     * Deletes the temporary folders of killed runs of {@code stages} ({@code
     * <out>/_tmp/<stage>-<uuid>}) and logs each. Only for a command that holds the {@link OutLock}
     * of those stages: then no live command writes there. Returns how many it deleted.
     */
    public static int cleanTemp(
            Configuration conf, String out, List<String> stages, PrintStream log) {
        Path tmp = new Path(StageContext.join(out, TMP_DIR));
        try {
            FileSystem fs = tmp.getFileSystem(conf);
            if (!fs.exists(tmp)) {
                return 0;
            }
            int n = 0;
            for (org.apache.hadoop.fs.FileStatus st : fs.listStatus(tmp)) {
                String name = st.getPath().getName();
                boolean ours =
                        stages.stream()
                                .anyMatch(
                                        s ->
                                                name.startsWith(s + "-")
                                                        && name.length() == s.length() + 37);
                if (ours) {
                    if (!fs.delete(st.getPath(), true)) {
                        throw new IOException("cannot delete " + st.getPath());
                    }
                    log.printf(
                            Locale.ROOT,
                            "removed %s: the temporary folder of a run that did not finish%n",
                            st.getPath());
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + tmp, e);
        }
    }

    /** Removes {@code <out>/_tmp} once no stage has a temporary folder in it; best effort. */
    private void deleteTmpIfEmpty(Configuration conf) {
        try {
            Path tmp = new Path(StageContext.join(out, TMP_DIR));
            FileSystem fs = tmp.getFileSystem(conf);
            if (fs.exists(tmp) && fs.listStatus(tmp).length == 0) {
                fs.delete(tmp, false);
            }
        } catch (IOException | RuntimeException e) {
            // best effort: an empty temporary folder is never read
        }
    }

    private static void deleteQuietly(Configuration conf, String path) {
        try {
            Path p = new Path(path);
            p.getFileSystem(conf).delete(p, true);
        } catch (IOException | RuntimeException e) {
            // best effort: a leftover temporary folder is never read
        }
    }
}
