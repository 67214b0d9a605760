package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    /** {@code train} of the tiny config on {@code device}. */
    private static Result trainOnDevice(Path blend, Path runDir, String device) {
        return run(
                "train",
                "--conf",
                TINY.toString(),
                "--blend",
                blend.toString(),
                "--run",
                runDir.toString(),
                "--device",
                device);
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

        Result device = trainOnDevice(blend, dir.resolve("r"), "tpu");
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

    /**
     * Malformed device lists, and more devices than a batch has chunks, are one line with exit code
     * 2 before anything is written (the tiny config: 16 x 9 sequences in chunks of 64 = 3).
     */
    @Test
    void badDeviceListsAreOneLineExitTwo() throws Exception {
        Path blend = dir.resolve("blend");
        Files.createDirectories(blend.resolve("stage1"));
        Files.createDirectories(blend.resolve("stage2"));
        Path runDir = dir.resolve("r");
        String[][] cases = {
            {"gpu:", "no device index after ':'"},
            {"gpu:0,0", "device 0 is listed twice"},
            {"gpu:a", "'a' is not a device index"},
            {"gpu:0,", "'' is not a device index"},
            {"cpu:1,-1", "device index -1 is negative"},
            {"cpu:0,1,2,3", "4 devices, but " + TINY + " makes 3 chunks per batch"},
            {"tpu:0", "expected cpu, gpu, gpu:N or a list gpu:N,M,..."}
        };
        for (String[] c : cases) {
            Result r = trainOnDevice(blend, runDir, c[0]);
            assertEquals(CliStyle.EXIT_BAD_INPUT, r.code(), c[0] + ": " + r.err());
            assertTrue(r.err().contains("--device " + c[0] + ": "), r.err());
            assertTrue(r.err().contains(c[1]), c[0] + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(Files.exists(runDir), "nothing written");
        }
        assertEquals(
                "--device cpu:0,1: this command uses one device: cpu, gpu or gpu:N",
                assertThrows(
                                io.embedforge.settings.BadInputException.class,
                                () -> DeviceOption.parse("cpu:0,1"))
                        .getMessage());
        assertEquals(
                java.util.List.of(ai.djl.Device.gpu(2), ai.djl.Device.gpu(0)),
                DeviceOption.syntax("gpu:2, 0"));
        assertEquals(
                java.util.List.of(ai.djl.Device.cpu(), ai.djl.Device.cpu()),
                DeviceOption.syntax("cpu:0,1"));
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
