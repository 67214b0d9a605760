package io.embedforge.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.pipeline.run.OutLock;
import io.embedforge.pipeline.stage.StageId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
                    "export-data",
                    "train",
                    "export",
                    "eval",
                    "embed",
                    "ablate"
                }) {
            assertTrue(r.out().contains(sub), r.out());
        }
    }

    @Test
    void exportDataStatesDefaultsAndRejectsBadOptionsOnOneLine() {
        Result help = run("export-data", "--help");
        assertEquals(0, help.code());
        assertTrue(
                help.out().contains("Default: 1")
                        && help.out().contains("Default: 0")
                        && help.out().contains("Exit codes"),
                help.out());
        String blend = dir.resolve("blend").toString();
        String out = dir.resolve("x").toString();
        Result format = run("export-data", "--blend", blend, "--format", "csv", "--out", out);
        assertEquals(EmbedForge.EXIT_USAGE, format.code());
        assertEquals(
                "embedforge export-data: --format 'csv' is not a format; allowed: hf,"
                        + " sentence-transformers, flagembedding, tevatron",
                format.err().strip());
        Result negatives =
                run(
                        "export-data",
                        "--blend",
                        blend,
                        "--format",
                        "hf",
                        "--out",
                        out,
                        "--negatives",
                        "8");
        assertEquals(EmbedForge.EXIT_USAGE, negatives.code());
        assertTrue(
                negatives
                        .err()
                        .strip()
                        .endsWith(
                                "must be in [0, 7] (the blend keeps at most that many negatives per row)"),
                negatives.err());
        Result missing = run("export-data", "--blend", blend, "--format", "hf", "--out", out);
        assertEquals(EmbedForge.EXIT_USAGE, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("manifest.json"), missing.err());
        assertTrue(Files.notExists(dir.resolve("x")), "nothing written");
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
    void aBadProgressIntervalOrJsonFileStopsBeforeSparkNamingTheOption() throws IOException {
        String conf = profile("", "").toString();
        String out = dir.resolve("out").toString();
        for (String bad : List.of("0", "-5", "7200", "NaN")) {
            Result r =
                    failsBeforeSpark(
                            "--progress-interval",
                            "ingest",
                            "--conf",
                            conf,
                            "--out",
                            out,
                            "--progress-interval",
                            bad);
            assertTrue(r.err().contains("(0, 3600]"), r.err());
        }
        assertTrue(Files.notExists(dir.resolve("out")), "nothing written");
        Path folder = Files.createDirectories(dir.resolve("a-folder"));
        failsBeforeSpark(
                "--progress-json " + folder + ": cannot open it for appending",
                "ingest",
                "--conf",
                conf,
                "--out",
                out,
                "--progress-json",
                folder.toString());
        Result train =
                run(
                        "train",
                        "--progress-interval",
                        "0",
                        "--conf",
                        conf,
                        "--blend",
                        out,
                        "--run",
                        out);
        assertEquals(EmbedForge.EXIT_USAGE, train.code(), train.err());
        assertTrue(train.err().contains("--progress-interval 0.0"), train.err());
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        Result r = run("ingest", "--out", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--conf"), r.err());
    }

    /** The repository root (conf/, test-data/). */
    private static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("conf")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root");
    }

    /** conf/local.yaml with absolute paths, with {@code edit} applied, in the temp folder. */
    private Path profile(String from, String to) throws IOException {
        Path conf = repo().resolve("conf");
        String yaml =
                Files.readString(conf.resolve("local.yaml"))
                        .replace("data: ../test-data", "data: " + repo().resolve("test-data"))
                        .replace("sources_dir: sources", "sources_dir: " + conf.resolve("sources"))
                        .replace(from, to);
        Path p = dir.resolve("local.yaml");
        Files.writeString(p, yaml, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void everySubcommandsHelpShowsItsDefaultsAndTheExitCodes() {
        List<String> subs = new ArrayList<>(StageId.names());
        subs.addAll(List.of("run", "stages", "train", "export", "eval", "embed", "ablate"));
        for (String sub : subs) {
            Result r = run(sub, "--help");
            assertEquals(0, r.code(), sub);
            assertTrue(r.out().contains("Exit codes:"), sub + ": " + r.out());
            assertTrue(r.out().contains("2   bad option, configuration or input"), r.out());
        }
        assertTrue(run("train", "--help").out().contains("Default: cpu"));
        assertTrue(run("mine-dense", "--help").out().contains("OUT/mine-dense/"));
    }

    /**
     * Runs {@code args}, which must fail before Spark with exit code 2 and one line naming {@code
     * what}.
     */
    private Result failsBeforeSpark(String what, String... args) {
        int sessions = SparkSessions.created();
        Result r = run(args);
        assertEquals(EmbedForge.EXIT_USAGE, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(what), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals(sessions, SparkSessions.created(), "no Spark session was started");
        return r;
    }

    @Test
    void anUnusableOutStopsBeforeSparkAndWritesNothing() throws IOException {
        String profile = profile("", "").toString();
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        failsBeforeSpark(
                "is a file, not a folder", "ingest", "--conf", profile, "--out", file.toString());
        failsBeforeSpark(
                "is not a folder",
                "ingest",
                "--conf",
                profile,
                "--out",
                file.resolve("sub").toString());
        assertEquals("x", Files.readString(file));
        Path readOnly = Files.createDirectories(dir.resolve("read-only"));
        assertTrue(readOnly.toFile().setWritable(false, false));
        try {
            if (Files.isWritable(readOnly)) {
                return; // root writes anywhere: no read-only folder to test with
            }
            failsBeforeSpark(
                    "is not writable",
                    "run",
                    "--conf",
                    profile,
                    "--out",
                    readOnly.resolve("out").toString());
        } finally {
            readOnly.toFile().setWritable(true, false);
        }
    }

    @Test
    void aMissingInputOrABadCsvHeaderStopsBeforeSparkAndWritesNothing() throws IOException {
        Path out = dir.resolve("out");
        Path profile = profile("banking77/train.csv\"", "banking77/no-such.csv\"");
        failsBeforeSpark(
                "no file matches", "run", "--conf", profile.toString(), "--out", out.toString());
        assertTrue(Files.notExists(out), "nothing written");
        Path csv =
                Files.writeString(dir.resolve("bad-header.csv"), "txt,cat\nhello,card_arrival\n");
        profile = profile("${data}/banking77/train.csv", csv.toString());
        Result r =
                failsBeforeSpark(
                        "has no column",
                        "ingest",
                        "--conf",
                        profile.toString(),
                        "--out",
                        out.toString());
        assertTrue(r.err().contains("bad-header.csv"), r.err());
        assertTrue(Files.notExists(out), "nothing written");
    }

    @Test
    void aSecondRunIntoTheSameOutFailsAtOnceNamingTheHolder() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        long pid = ProcessHandle.current().pid();
        String host = java.net.InetAddress.getLocalHost().getHostName();
        Path lock = Path.of(OutLock.writeLock(out.toString(), "ingest"));
        Files.createDirectories(lock.getParent());
        Files.writeString(
                lock,
                "{\"user\":\"alice\",\"host\":\""
                        + host
                        + "\",\"pid\":"
                        + pid
                        + ",\"started\":\""
                        + java.time.Instant.now()
                        + "\",\"command\":\"embedforge-run\"}");
        String lockText = Files.readString(lock);
        Result r =
                failsBeforeSpark(
                        "is in use by embedforge-run (pid "
                                + pid
                                + " on host "
                                + host
                                + ", user alice",
                        "ingest",
                        "--conf",
                        profile("", "").toString(),
                        "--out",
                        out.toString());
        assertTrue(r.err().contains("wait for it to finish"), r.err());
        assertEquals(lockText, Files.readString(lock), "the holder's lock is left alone");
        try (var files = Files.list(out)) {
            assertEquals(List.of(lock.getParent()), files.toList(), "nothing else written");
        }
        // a run of another host cannot be checked: the message says which file to delete
        Files.writeString(lock, lockText.replace(host, "elsewhere.example"));
        Result other =
                failsBeforeSpark(
                        "delete " + lock,
                        "ingest",
                        "--conf",
                        profile("", "").toString(),
                        "--out",
                        out.toString());
        assertTrue(other.err().contains("on host elsewhere.example"), other.err());
    }

    @Test
    void stagesJsonIsTheRegistry() throws Exception {
        Result r = run("stages", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode stages = new ObjectMapper().readTree(r.out());
        assertEquals(StageId.values().length, stages.size());
        for (StageId s : StageId.values()) {
            JsonNode e = stages.get(s.ordinal());
            assertEquals(s.id(), e.get("name").asText());
            assertEquals(s.folder(), e.get("folder").asText());
            List<String> reads = new ArrayList<>();
            e.get("reads").forEach(n -> reads.add(n.asText()));
            assertEquals(s.reads().stream().map(StageId::id).toList(), reads);
            List<String> after = new ArrayList<>();
            e.get("after").forEach(n -> after.add(n.asText()));
            assertEquals(s.after().stream().map(StageId::id).toList(), after);
        }
    }

    @Test
    void dryRunPrintsThePlanAndRunsNothing() throws IOException {
        Path out = dir.resolve("out");
        Result r =
                run(
                        "run",
                        "--conf",
                        profile("", "").toString(),
                        "--out",
                        out.toString(),
                        "--until",
                        "mine-dense",
                        "--dry-run");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(--until mine-dense)"), r.out());
        assertTrue(r.out().contains("  ingest           run   no committed output"), r.out());
        assertTrue(r.out().contains("  mine-dense       run   no committed output"), r.out());
        assertTrue(r.out().contains("  mine-bm25        -     not selected"), r.out());
        assertTrue(r.out().contains("  report           -     not selected"), r.out());
        assertTrue(Files.notExists(out), "nothing written");
    }

    @Test
    void userErrorsAreOneLineWithExitCode2() throws IOException {
        Path profile = profile("    batch_size: 16", "    batch_size: 16\n    negatives: 9");
        String out = dir.resolve("out").toString();
        Result bad = run("blend", "--conf", profile.toString(), "--out", out);
        assertEquals(2, bad.code());
        assertTrue(
                bad.err().contains("local.yaml: stages.blend.negatives=9 must be in [0, 7]"),
                bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());

        Path good = profile("", "");
        Result missing = run("blend", "--conf", good.toString(), "--out", out, "--dry-run");
        assertEquals(2, missing.code());
        assertTrue(
                missing.err().contains("needs the committed output of stage mine-dense"),
                missing.err());
        Result both =
                run(
                        "run",
                        "--conf",
                        good.toString(),
                        "--out",
                        out,
                        "--stages",
                        "blend",
                        "--from",
                        "ingest");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--stages cannot be combined"), both.err());
        Result unknown = run("run", "--conf", good.toString(), "--out", out, "--until", "dense");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown stage 'dense'"), unknown.err());
        assertTrue(Files.notExists(dir.resolve("out")), "nothing written");
    }
}
