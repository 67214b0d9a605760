package io.embedforge.pipeline.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.pipeline.ChildJvm;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.schema.CanonicalTables;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.train.FileTrees;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Ingest of {@code conf/local.yaml} on a real multi-JVM cluster, {@code local-cluster[2,1,1024]} (a
 * standalone Master and two Workers in the driver JVM, each executor its own JVM), gives the rows
 * of the embedded {@code local[2]} run; so does a run in which one executor is killed while a stage
 * is running.
 *
 * <p>Each run is a child JVM running the {@code embedforge} CLI (one SparkContext per JVM). The
 * executors load Spark and the dependencies from {@code SPARK_HOME/jars}, here links to the test
 * class path's jars, and this module's classes from {@code spark.jars}, a jar built from the class
 * directories.
 *
 * <p>Tagged slow (runs in CI through {@code bin/test-all}): each cluster run starts three JVMs and
 * takes one to eight minutes on a 2-core machine depending on its load.
 */
@Tag("slow")
class LocalClusterIngestTest extends SparkTestBase {
    private static final String CLUSTER = "local-cluster[2,1,1024]";
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);

    private static Path tmp;
    private static List<String> classPath;
    private static Path sparkHome;
    private static Path appJar;
    private static Path reference;

    @BeforeAll
    static void layOutSparkHomeAndRunReference() throws Exception {
        // Under target/ rather than a @TempDir: SPARK_HOME/jars holds links out of it, and the
        // child JVMs' logs stay there for a failed run.
        tmp = repoRoot().resolve("pipeline-jobs/target/local-cluster-test");
        FileTrees.delete(tmp);
        Files.createDirectories(tmp);
        classPath = ChildJvm.classPath();
        sparkHome = tmp.resolve("spark-home");
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        // Spark's launcher looks for the Scala version of a build tree; an empty folder says 2.13.
        Files.createDirectories(sparkHome.resolve("launcher/target/scala-2.13"));
        List<Path> classDirs = new ArrayList<>();
        for (String entry : classPath) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                classDirs.add(p);
            } else if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        appJar = jar(classDirs, tmp.resolve("embedforge-app.jar"));
        // The reference: the same ingest in this JVM's embedded local[2] session.
        reference = tmp.resolve("local");
        PipelineConfig config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"), ConfigLoader.Overrides.none());
        IngestJob.ingest(
                StageContext.direct(spark(), config, StageId.INGEST, reference.toString()));
    }

    @Test
    void localClusterRunWritesTheRowsOfTheLocalRun() throws Exception {
        Path out = tmp.resolve("cluster");
        Process p = start(CLUSTER, out, false, 0);
        assertEquals(0, waitFor(p, out), CLUSTER + " run failed");
        assertSameRows(reference, out);
    }

    @Test
    void killingAnExecutorMidStageStillWritesTheSameRows() throws Exception {
        Path out = tmp.resolve("cluster-fault");
        int uiPort = freePort();
        Process p = start(CLUSTER, out, true, uiPort);
        Optional<ProcessHandle> killed = killAnExecutorDuringAStage(p, uiPort);
        assertTrue(killed.isPresent(), "no executor was running a stage task to kill");
        assertEquals(0, waitFor(p, out), CLUSTER + " run with a killed executor failed");
        assertFalse(killed.get().isAlive());
        assertSameRows(reference, out);
    }

    /** Polls the driver's REST API; kills one executor JVM once a stage has running tasks. */
    private static Optional<ProcessHandle> killAnExecutorDuringAStage(Process driver, int uiPort)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        ObjectMapper json = new ObjectMapper();
        String api = "http://127.0.0.1:" + uiPort + "/api/v1/applications";
        long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
        while (driver.isAlive() && System.nanoTime() < deadline) {
            try {
                JsonNode apps = json.readTree(get(http, api));
                if (apps.size() > 0) {
                    String id = apps.get(0).get("id").asText();
                    JsonNode stages = json.readTree(get(http, api + "/" + id + "/stages"));
                    for (JsonNode stage : stages) {
                        if ("ACTIVE".equals(stage.get("status").asText())
                                && stage.get("numActiveTasks").asInt() > 0) {
                            Optional<ProcessHandle> executor =
                                    driver.descendants()
                                            .filter(
                                                    h ->
                                                            h.info()
                                                                    .commandLine()
                                                                    .orElse("")
                                                                    .contains(
                                                                            "CoarseGrainedExecutorBackend"))
                                            .findFirst();
                            if (executor.isPresent()) {
                                executor.get().destroyForcibly();
                                executor.get().onExit().get(30, TimeUnit.SECONDS);
                                return executor;
                            }
                        }
                    }
                }
            } catch (IOException notUpYet) {
                // the UI starts with the SparkContext; keep polling
            }
            Thread.sleep(50);
        }
        return Optional.empty();
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpRequest req =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException(url + " -> HTTP " + res.statusCode());
        }
        return res.body();
    }

    /** Starts {@code embedforge ingest} in a child JVM on {@code master}. */
    private static Process start(String master, Path out, boolean ui, int uiPort)
            throws IOException {
        List<String> options = new ArrayList<>();
        options.add("-Xmx1g");
        options.add("-Dfile.encoding=UTF-8");
        options.add("-Dspark.jars=" + appJar.toUri());
        options.add("-Dspark.sql.shuffle.partitions=4");
        options.add("-Dspark.ui.enabled=" + ui);
        if (ui) {
            options.add("-Dspark.ui.port=" + uiPort);
        }
        List<String> cmd =
                ChildJvm.command(options, classPath, "io.embedforge.pipeline.cli.EmbedForge");
        cmd.add("ingest");
        cmd.add("--master");
        cmd.add(master);
        cmd.add("--conf");
        cmd.add(repoRoot().resolve("conf/local.yaml").toString());
        cmd.add("--out");
        cmd.add(out.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.redirectErrorStream(true);
        pb.redirectOutput(tmp.resolve(out.getFileName() + ".log").toFile());
        return pb.start();
    }

    private static int waitFor(Process p, Path out) throws Exception {
        if (!p.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("run to " + out + " did not finish in " + RUN_TIMEOUT);
        }
        if (p.exitValue() != 0) {
            String log = tmp.resolve(out.getFileName() + ".log").toString();
            System.err.println(Files.readString(Path.of(log), StandardCharsets.UTF_8));
        }
        return p.exitValue();
    }

    /** Every table of the two outputs holds the same rows (as sorted row lists). */
    private static void assertSameRows(Path expected, Path actual) {
        List<String> tables = new ArrayList<>(CanonicalTables.ALL.keySet());
        tables.add(RejectsTable.NAME);
        for (String table : tables) {
            List<String> want = rows(expected.resolve("ingest").resolve(table));
            List<String> got = rows(actual.resolve("ingest").resolve(table));
            assertFalse(want.isEmpty(), table + " is empty in the local run");
            assertEquals(want, got, "rows of " + table);
        }
    }

    private static List<String> rows(Path table) {
        return spark().read().parquet(table.toString()).collectAsList().stream()
                .map(Row::toString)
                .sorted()
                .collect(Collectors.toList());
    }

    /** A jar of the class directories (this module's and its reactor dependencies'). */
    private static Path jar(List<Path> dirs, Path target) throws IOException {
        try (OutputStream os = Files.newOutputStream(target);
                JarOutputStream jar = new JarOutputStream(os)) {
            for (Path dir : dirs) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(dir)) {
                    files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
                }
                for (Path f : files) {
                    String name = dir.relativize(f).toString().replace(File.separatorChar, '/');
                    try {
                        jar.putNextEntry(new JarEntry(name));
                    } catch (java.util.zip.ZipException duplicate) {
                        continue;
                    }
                    try (InputStream in = Files.newInputStream(f)) {
                        in.transferTo(jar);
                    }
                    jar.closeEntry();
                }
            }
        }
        return target;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
