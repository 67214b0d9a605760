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

/** The lock of an output root: one holder, stale locks of this host taken over, others refused. */
class OutLockTest {
    private static final Configuration CONF = new Configuration();

    @TempDir Path dir;
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logged, true, StandardCharsets.UTF_8);

    private String out() {
        return dir.resolve("out").toString();
    }

    private void writeLock(String host, long pid, String started) throws Exception {
        Files.createDirectories(dir.resolve("out"));
        Files.writeString(
                dir.resolve("out").resolve(OutLock.FILE),
                "{\"user\":\"bob\",\"host\":\""
                        + host
                        + "\",\"pid\":"
                        + pid
                        + ",\"started\":\""
                        + started
                        + "\",\"command\":\"embedforge-run\"}");
    }

    private static String host() throws Exception {
        return InetAddress.getLocalHost().getHostName();
    }

    @Test
    void oneHolderAtATimeReleasedWhenClosed() {
        OutLock first = OutLock.acquire(CONF, out(), "embedforge-run", log);
        OutLock.Holder h = OutLock.holder(CONF, out());
        assertEquals(ProcessHandle.current().pid(), h.pid());
        assertEquals("embedforge-run", h.command());
        BadInputException e =
                assertThrows(
                        BadInputException.class,
                        () -> OutLock.acquire(CONF, out(), "embedforge-ingest", log));
        assertTrue(e.getMessage().contains("is in use by embedforge-run (pid "), e.getMessage());
        first.close();
        assertNull(OutLock.holder(CONF, out()));
        OutLock.acquire(CONF, out(), "embedforge-ingest", log).close();
    }

    @Test
    void concurrentRunsGetItOnce() throws Exception {
        int n = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<OutLock>> tries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tries.add(
                    pool.submit(
                            () -> {
                                start.await();
                                try {
                                    return OutLock.acquire(CONF, out(), "embedforge-run", log);
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
        assertEquals(1, got.size());
        got.get(0).close();
    }

    @Test
    void aDeadHolderOfThisHostIsTakenOverWithAWarning() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        writeLock(host(), p.pid(), Instant.now().toString());
        OutLock lock = OutLock.acquire(CONF, out(), "embedforge-run", log);
        assertEquals(ProcessHandle.current().pid(), OutLock.holder(CONF, out()).pid());
        String text = logged.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("WARNING: taking over the stale lock"), text);
        assertTrue(text.contains("pid " + p.pid()), text);
        lock.close();
        // a live pid that started after the lock was taken is a reused pid: stale too
        writeLock(host(), ProcessHandle.current().pid(), "2000-01-01T00:00:00Z");
        OutLock.acquire(CONF, out(), "embedforge-run", log).close();
        try (var files = Files.list(dir.resolve("out"))) {
            assertEquals(List.of(), files.toList(), "no lock and no moved-aside copy left");
        }
    }

    @Test
    void aHolderOfAnotherHostIsRefusedSayingWhatToDelete() throws Exception {
        writeLock("elsewhere.example", 1, Instant.now().toString());
        BadInputException e =
                assertThrows(
                        BadInputException.class,
                        () -> OutLock.acquire(CONF, out(), "embedforge-run", log));
        assertTrue(
                e.getMessage().contains("on host elsewhere.example")
                        && e.getMessage().contains("delete " + dir.resolve("out/" + OutLock.FILE)),
                e.getMessage());
    }

    @Test
    void temporaryFoldersOfKilledRunsAreDeletedUnderTheLock() throws Exception {
        Path tmp = dir.resolve("out").resolve(StageRunner.TMP_DIR);
        Path killed = Files.createDirectories(tmp.resolve("ingest-1234/ingest/corpus"));
        Files.writeString(killed.resolve("part-0.parquet"), "half");
        Files.createDirectories(tmp.resolve("blend-5678"));
        try (OutLock lock = OutLock.acquire(CONF, out(), "embedforge-run", log)) {
            assertEquals(2, StageRunner.cleanTemp(CONF, out(), log));
        }
        assertTrue(Files.notExists(tmp));
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("ingest-1234"));
        assertEquals(0, StageRunner.cleanTemp(CONF, out(), log));
    }
}
