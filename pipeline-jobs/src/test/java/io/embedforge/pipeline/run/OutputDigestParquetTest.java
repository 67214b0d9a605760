package io.embedforge.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.ChildJvm;
import io.embedforge.pipeline.SparkTestBase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same rows written to Parquet by two JVMs have one {@link OutputDigest}: parquet-mr lists each
 * column chunk's encodings in the footer from a {@code HashSet} of enum values, whose order follows
 * identity hash codes and so changes from one JVM to the next; the digest must not see it. A
 * changed row must still change the digest.
 */
class OutputDigestParquetTest extends SparkTestBase {
    private static final Configuration CONF = new Configuration();

    @TempDir Path dir;

    @Test
    void identicalRowsFromTwoJvmsHaveOneDigestAndAChangedRowChangesIt() throws Exception {
        List<String> digests = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            Path out = dir.resolve(name);
            writeInChildJvm(out);
            digests.add(OutputDigest.of(CONF, out.toString()));
        }
        assertEquals(digests.get(0), digests.get(1), "same rows, two JVMs");
        Path here = dir.resolve("here");
        write(spark(), here, false);
        assertEquals(digests.get(0), OutputDigest.of(CONF, here.toString()), "this JVM");
        Path changed = dir.resolve("changed");
        write(spark(), changed, true);
        assertNotEquals(digests.get(0), OutputDigest.of(CONF, changed.toString()), "one row");
    }

    /**
     * Writes a small table with a dictionary-encoded, a plain and a nullable column (several
     * encodings per column chunk) as one Parquet file under {@code out/table}; {@code changed}
     * alters one value of one row.
     */
    static void write(SparkSession spark, Path out, boolean changed) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(i + "\t" + (changed && i == 17 ? "other" : "label" + i % 5));
        }
        Dataset<Row> rows =
                spark.createDataset(lines, Encoders.STRING())
                        .selectExpr(
                                "cast(split(value, '\\t')[0] as int) as id",
                                "split(value, '\\t')[1] as label",
                                "cast(split(value, '\\t')[0] as double) / 7 as score",
                                "if(cast(split(value, '\\t')[0] as int) % 3 = 0, null, value)"
                                        + " as text");
        rows.coalesce(1).write().parquet(out.resolve("table").toString());
    }

    private static void writeInChildJvm(Path out) throws Exception {
        List<String> cmd =
                ChildJvm.command(List.of("-Xmx512m"), ChildJvm.classPath(), Writer.class.getName());
        cmd.add(out.toString());
        Path log = dir(out).resolve(out.getFileName() + ".log");
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(Files.isDirectory(out.resolve("table")), text);
    }

    private static Path dir(Path out) {
        return out.toAbsolutePath().getParent();
    }

    /** The child JVM: writes {@link #write} rows to the folder given as the only argument. */
    public static final class Writer {
        private Writer() {}

        public static void main(String[] args) {
            SparkSession spark =
                    SparkSession.builder()
                            .master("local[1]")
                            .appName("digest-writer")
                            .config("spark.ui.enabled", "false")
                            .config("spark.driver.bindAddress", "127.0.0.1")
                            .config("spark.driver.host", "127.0.0.1")
                            .getOrCreate();
            try {
                write(spark, Path.of(args[0]), false);
            } finally {
                spark.stop();
            }
        }
    }
}
