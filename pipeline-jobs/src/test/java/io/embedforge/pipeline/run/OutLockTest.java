package io.embedforge.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.settings.BadInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The locks of an output root: one writer per stage, readers side by side, a writer and a reader of
 * one stage never together; stale locks of this host taken over, locks of other hosts refused.
 */
class OutLockTest {
    private static final Configuration CONF = new Configuration();
    private static final List<String> NONE = List.of();

    @TempDir Path dir;
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logged, true, StandardCharsets.UTF_8);

    private String out() {
        return dir.resolve("out").toString();
    }

    private OutLock lock(List<String> writes, List<String> reads) {
        return OutLock.acquire(CONF, out(), writes, reads, "embedforge-test", log);
    }

    private String refused(List<String> writes, List<String> reads) {
        return assertThrows(BadInputException.class, () -> lock(writes, reads)).getMessage();
    }

    private Path writeLock(String stage, String host, long pid, String started) throws Exception {
        Path lock = Path.of(OutLock.writeLock(out(), stage));
        Files.createDirectories(lock.getParent());
        Files.writeString(
                lock,
                "{\"user\":\"bob\",\"host\":\""
                        + host
                        + "\",\"pid\":"
                        + pid
                        + ",\"started\":\""
                        + started
                        + "\",\"command\":\"embedforge-run\"}");
        return lock;
    }

    private static String host() throws Exception {
        return InetAddress.getLocalHost().getHostName();
    }

    @Test
    void oneWriterPerStageReadersTogetherNeverAWriterAndAReader() throws Exception {
        OutLock run = lock(List.of("ingest", "decontaminate"), NONE);
        assertEquals(ProcessHandle.current().pid(), OutLock.writer(CONF, out(), "ingest").pid());
        String second = refused(List.of("ingest"), NONE);
        assertTrue(
                second.contains("is in use by embedforge-test (pid ")
                        && second.contains("which writes ingest"),
                second);
        assertTrue(
                refused(List.of("mine-bm25"), List.of("decontaminate"))
                        .contains("writes decontaminate"));
        run.close();
        assertNull(OutLock.writer(CONF, out(), "ingest"));
        // the DAG's miners: each writes its own stage, all read decontaminate
        OutLock dense = lock(List.of("mine-dense"), List.of("decontaminate", "ingest"));
        OutLock bm25 = lock(List.of("mine-bm25"), List.of("decontaminate"));
        String writer = refused(List.of("decontaminate"), List.of("ingest"));
        assertTrue(writer.contains("which reads decontaminate"), writer);
        dense.close();
        bm25.close();
        lock(List.of("decontaminate"), List.of("ingest")).close();
        try (var files = Files.list(dir.resolve("out").resolve(OutLock.DIR))) {
            assertEquals(List.of(), files.toList(), "every lock released, none left by refusals");
        }
    }

    /**
     * Locks taken by {@code n} threads at once; even threads write ingest, odd ones {@code odd}.
     */
    private List<OutLock> race(int n, boolean oddReadsIngest) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<OutLock>> tries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean reader = oddReadsIngest && i % 2 == 1;
            tries.add(
                    pool.submit(
                            () -> {
                                start.await();
                                try {
                                    return reader
                                            ? lock(List.of("decontaminate"), List.of("ingest"))
                                            : lock(List.of("ingest"), NONE);
                                } catch (BadInputException e) {
                                    return null;
                                }
                            }));
        }
        start.countDown();
        List<OutLock> got = new ArrayList<>();
        for (Future<OutLock> f : tries) {
            if (f.get() != null) {
                got.add(f.get());
            }
        }
        pool.shutdown();
        return got;
    }

    @Test
    void concurrentRunsGetAStageOnce() throws Exception {
        List<OutLock> writers = race(8, false);
        assertEquals(1, writers.size(), "one of 8 writers of ingest");
        writers.forEach(OutLock::close);
        // writers and readers of ingest at once: never two (at worst none, both back off)
        List<OutLock> mixed = race(8, true);
        assertTrue(mixed.size() <= 1, mixed.size() + " got it");
        mixed.forEach(OutLock::close);
    }

    @Test
    void aDeadHolderOfThisHostIsTakenOverWithAWarning() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        writeLock("ingest", host(), p.pid(), Instant.now().toString());
        OutLock lock = lock(List.of("ingest"), NONE);
        assertEquals(ProcessHandle.current().pid(), OutLock.writer(CONF, out(), "ingest").pid());
        String text = logged.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("WARNING: taking over the stale lock"), text);
        assertTrue(text.contains("pid " + p.pid()), text);
        lock.close();
        // a live pid that started after the lock was taken is a reused pid: stale too
        writeLock("ingest", host(), ProcessHandle.current().pid(), "2000-01-01T00:00:00Z");
        lock(List.of("decontaminate"), List.of("ingest")).close();
        try (var files = Files.list(dir.resolve("out").resolve(OutLock.DIR))) {
            assertEquals(List.of(), files.toList(), "no lock and no moved-aside copy left");
        }
    }

    @Test
    void aHolderOfAnotherHostIsRefusedSayingWhatToDelete() throws Exception {
        Path lock = writeLock("blend", "elsewhere.example", 1, Instant.now().toString());
        String msg = refused(List.of("report"), List.of("blend"));
        assertTrue(
                msg.contains("on host elsewhere.example") && msg.contains("delete " + lock), msg);
        assertThrows(
                BadInputException.class,
                () -> OutLock.failIfHeld(CONF, out(), List.of("report"), List.of("blend")));
        OutLock.failIfHeld(CONF, out(), List.of("ingest"), NONE);
    }

    @Test
    void temporaryFoldersOfKilledRunsOfTheLockedStagesAreDeleted() throws Exception {
        Path tmp = dir.resolve("out").resolve(StageRunner.TMP_DIR);
        String uuid = "0a1b2c3d-0000-4000-8000-000000000001";
        Path killed = Files.createDirectories(tmp.resolve("ingest-" + uuid + "/ingest/corpus"));
        Files.writeString(killed.resolve("part-0.parquet"), "half");
        Files.createDirectories(tmp.resolve("blend-" + uuid));
        Files.createDirectories(tmp.resolve("mine-dense-" + uuid));
        try (OutLock lock = lock(List.of("ingest", "mine-dense"), NONE)) {
            assertEquals(
                    2, StageRunner.cleanTemp(CONF, out(), List.of("ingest", "mine-dense"), log));
        }
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(tmp.resolve("blend-" + uuid)), files.toList(), "blend not ours");
        }
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("ingest-" + uuid));
    }
}
