package io.embedforge.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedForgeCliTest {
    @TempDir Path dir;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = EmbedForge.execute(args);
            return new Result(
                    code,
                    out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsEverySubcommand() {
        Result r = run("--help");
        assertEquals(0, r.code());
        for (String sub :
                new String[] {
                    "ingest",
                    "decontaminate",
                    "mine-dense",
                    "mine-bm25",
                    "label-negatives",
                    "blend",
                    "report",
                    "run",
                    "train",
                    "export",
                    "eval"
                }) {
            assertTrue(r.out().contains(sub), r.out());
        }
    }

    @Test
    void badConfigStopsBeforeSparkWithExitCode2() throws IOException {
        Path profile = dir.resolve("bad.yaml");
        Files.writeString(profile, "seed: many\nsources: {x: {}}\n", StandardCharsets.UTF_8);
        Result r =
                run("ingest", "--conf", profile.toString(), "--out", dir.resolve("out").toString());
        assertEquals(EmbedForge.EXIT_USAGE, r.code());
        assertTrue(
                r.err().contains("bad.yaml")
                        && r.err().contains("'seed'")
                        && r.err().contains("an integer"),
                r.err());
        assertTrue(Files.notExists(dir.resolve("out")), "nothing written");
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        Result r = run("ingest", "--out", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--conf"), r.err());
    }
}
