package io.embedforge.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.ChildJvm;
import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.SourceConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run prints when its stdout and stderr go to a file, as under a scheduler: {@code run
 * --until mine-dense} on {@code conf/local.yaml} in a child JVM with the main class path only (so
 * the bundled log4j configuration applies, as with {@code bin/embedforge}). No progress-bar
 * carriage returns, none of the expected warnings, ingest's counts as a table, and every summary
 * line of the plan and the stages.
 */
@Tag("slow")
class ConsoleOutputTest extends SparkTestBase {
    /** What the log must not hold: progress bars, the silenced warnings, record dumps. */
    private static final List<String> NOISE =
            List.of(
                    "\r",
                    "native-hadoop",
                    "resolves to a loopback address",
                    "SPARK_LOCAL_IP",
                    "Truncated the string representation of a plan",
                    "CUDA is not supported",
                    "AutoNonVariableTypeMode",
                    "RoleCounts[");

    private static final List<String> STAGES = List.of("ingest", "decontaminate", "mine-dense");

    @Test
    void aRunIntoAFileHasNoProgressBarsNorExpectedWarnings(@TempDir Path dir) throws Exception {
        Path conf = repoRoot().resolve("conf/local.yaml");
        Path log = dir.resolve("run.log");
        List<String> classPath =
                ChildJvm.classPath().stream().filter(e -> !e.endsWith("test-classes")).toList();
        List<String> cmd =
                ChildJvm.command(
                        List.of("-Xmx2g", "-Dai.djl.offline=true", "-Dfile.encoding=UTF-8"),
                        classPath,
                        EmbedForge.class.getName());
        cmd.addAll(
                List.of(
                        "run",
                        "--conf",
                        conf.toString(),
                        "--out",
                        dir.resolve("out").toString(),
                        "--until",
                        "mine-dense"));
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        for (String noise : NOISE) {
            assertFalse(
                    text.contains(noise), () -> "the log holds " + noise.strip() + ":\n" + text);
        }
        assertTrue(text.startsWith("plan for "), text);
        for (String stage : STAGES) {
            assertTrue(text.matches("(?s).*\n== " + stage + " +started .*"), stage + "\n" + text);
            assertTrue(text.matches("(?s).*\n== " + stage + " +finished in .*"), stage);
            assertTrue(text.matches("(?s).*\n   " + stage + " +rows: .*"), stage);
        }
        assertTrue(text.contains("\nmanifest: " + dir.resolve("out/manifest.json")), text);
        assertTrue(
                text.matches("(?s).*\n  source +input +table +read +expanded +written .*"), text);
        for (SourceConfig source :
                ConfigLoader.load(conf, ConfigLoader.Overrides.none()).sources()) {
            for (InputSpec in : source.inputs()) {
                String row = "\n  " + source.name() + " +" + in.role() + " +[a-z]+ +\\d+ .*";
                assertTrue(text.matches("(?s).*" + row), row);
            }
        }
    }
}
