package io.embedforge.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.sql.SparkSession;

/**
 * One {@link SparkSession} for the whole test JVM (Surefire forks one JVM per module), shared by
 * every Spark test: starting Spark costs seconds, and 2-core CI machines cannot pay that per class.
 * Tests must not stop it or change global configuration; outputs go to JUnit {@code @TempDir}s.
 */
public abstract class SparkTestBase {
    private static SparkSession spark;

    /** The shared session, created on first use with {@code local[2]} and 4 shuffle partitions. */
    protected static synchronized SparkSession spark() {
        if (spark == null) {
            spark =
                    SparkSession.builder()
                            .master("local[2]")
                            .appName("embedforge-tests")
                            .config("spark.ui.enabled", "false")
                            .config("spark.sql.shuffle.partitions", "4")
                            .config("spark.default.parallelism", "4")
                            .config("spark.sql.session.timeZone", "UTC")
                            .config("spark.driver.bindAddress", "127.0.0.1")
                            .config("spark.driver.host", "127.0.0.1")
                            .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }
        return spark;
    }

    /** The repository root (where {@code conf/} and {@code test-data/} live). */
    protected static Path repoRoot() {
        String configured = System.getProperty("embedforge.repo.root");
        Path start =
                configured != null && !configured.isBlank()
                        ? Paths.get(configured)
                        : Paths.get("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("conf")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException(
                "no repository root (with conf/ and pom.xml) above " + start);
    }

    /** {@code ../shared/data} beside the repository, or null when it is absent. */
    protected static Path sharedData() {
        Path shared = repoRoot().getParent().resolve("shared").resolve("data");
        return Files.isDirectory(shared) ? shared : null;
    }
}
