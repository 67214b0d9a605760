package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The training commands' command line: one style with the pipeline's (defaults and exit codes in
 * the help, --conf with --config as an alias) and user errors as one line with exit code 2 that
 * leave nothing behind.
 */
class TrainCliTest {
    static final Path TINY = Path.of("..", "conf", "train-tiny.yaml");

    @TempDir Path dir;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CliStyle.apply(new CommandLine(new TrainCli()));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpShowsDefaultsExitCodesAndTheConfAlias() {
        for (String sub : new String[] {"train", "export", "eval", "ablate"}) {
            Result r = run(sub, "--help");
            assertEquals(0, r.code(), sub);
            assertTrue(r.out().contains("--conf, --config=FILE"), sub + ": " + r.out());
            assertTrue(r.out().contains("Exit codes:"), r.out());
        }
        assertTrue(run("train", "--help").out().contains("Default: cpu"));
        Result embed = run("embed", "--help");
        assertEquals(0, embed.code());
        assertTrue(embed.out().contains("Exit codes:"), embed.out());
    }

    @Test
    void aBadBlendFolderIsOneLineExitTwoAndWritesNothing() {
        Path runDir = dir.resolve("run");
        Result r =
                run(
                        "train",
                        "--conf",
                        TINY.toString(),
                        "--blend",
                        dir.resolve("no-such-blend").toString(),
                        "--run",
                        runDir.toString());
        assertEquals(CliStyle.EXIT_BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("--blend") && r.err().contains("stage1/"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(runDir.resolve(ExportCommand.RUN_INFO)), "no run-info.json");
        assertFalse(Files.exists(runDir), "no run folder");
    }

    @Test
    void badConfigDeviceAndRunFolderAreUserErrors() throws Exception {
        Path blend = dir.resolve("blend");
        Files.createDirectories(blend.resolve("stage1"));
        Files.createDirectories(blend.resolve("stage2"));
        Result config =
                run(
                        "train",
                        "--config",
                        dir.resolve("missing.yaml").toString(),
                        "--blend",
                        blend.toString(),
                        "--run",
                        dir.resolve("r").toString());
        assertEquals(2, config.code(), config.err());
        assertTrue(config.err().contains("missing.yaml: no such file"), config.err());

        Result device =
                run(
                        "train",
                        "--conf",
                        TINY.toString(),
                        "--blend",
                        blend.toString(),
                        "--run",
                        dir.resolve("r").toString(),
                        "--device",
                        "tpu");
        assertEquals(2, device.code(), device.err());
        assertTrue(device.err().contains("--device tpu"), device.err());
        assertFalse(Files.exists(dir.resolve("r")), "nothing written");

        Result export =
                run(
                        "export",
                        "--conf",
                        TINY.toString(),
                        "--run",
                        dir.resolve("no-run").toString(),
                        "--out",
                        dir.resolve("out").toString());
        assertEquals(2, export.code(), export.err());
        assertTrue(
                export.err().contains("run folder") && export.err().contains("no-run"),
                export.err());
    }

    @Test
    void aGpuWithTheCpuLibtorchFailsBeforeTheModelIsReadWithTheRemedy() throws Exception {
        assumeFalse(
                Engine.getEngine("PyTorch").hasCapability(StandardCapabilities.CUDA),
                "a CUDA libtorch is loaded");
        Path blend = dir.resolve("blend");
        Files.createDirectories(blend.resolve("stage1"));
        Files.createDirectories(blend.resolve("stage2"));
        Path runDir = dir.resolve("r");
        // train-7b.yaml names /models/Mistral-7B-v0.1, absent here: the GPU check comes first
        Result r =
                run(
                        "train",
                        "--conf",
                        Path.of("..", "conf", "train-7b.yaml").toString(),
                        "--blend",
                        blend.toString(),
                        "--run",
                        runDir.toString(),
                        "--device",
                        "gpu");
        assertEquals(CliStyle.EXIT_BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("--device gpu:0: the loaded libtorch"), r.err());
        assertTrue(r.err().contains("PYTORCH_FLAVOR=cu128"), r.err());
        assertFalse(r.err().contains("Mistral-7B"), "model not touched: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(runDir), "nothing written");
    }
}
