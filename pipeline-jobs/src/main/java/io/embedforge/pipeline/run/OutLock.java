package io.embedforge.pipeline.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.settings.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The locks of an output root: a command that writes stages takes, under {@code <out>/_locks/}, an
 * exclusive lock on each stage it may write ({@code <stage>.write}) and a shared lock on each stage
 * it reads without writing ({@code <stage>.read-<uuid>}). So a second run into the same {@code
 * --out} cannot delete committed output the first is reading or writing: it fails at once with a
 * one-line message naming the holder (exit code 2). Stages that touch different folders run side by
 * side, as the Airflow DAG's three miners do. Each lock file holds its holder (user, host, pid,
 * start time, command). A writer creates its file, then checks for readers; a reader creates its
 * file, then checks for a writer: two conflicting commands cannot both pass (at worst both fail).
 * Locks are released when the command ends ({@link #close}, in a {@code finally}) and on JVM
 * shutdown (SIGTERM).
 *
 * <p>Creation: on a local folder the holder is written to a temporary file that is then hard-linked
 * to the lock's name, which fails atomically when the lock exists, so a lock is never seen half
 * written. On any other Hadoop file system it is {@code FileSystem.create(lock, overwrite=false)}:
 * atomic on HDFS (the namenode creates the file once); on object stores (s3a, gs) the check and the
 * write are separate requests, so two runs started in the same instant may both get it (their
 * connectors have no create-if-absent).
 *
 * <p>Stale locks: a lock of this host whose pid is not running (or is a process started after the
 * lock was taken: a reused pid) belongs to a killed run; it is taken over (or removed) with a
 * warning. A lock of another host cannot be checked: the command fails and the message names the
 * file to delete once that run is known to be dead. Driver only.
 */
public final class OutLock implements AutoCloseable {
    /** The folder of lock files under the output root. */
    public static final String DIR = "_locks";

    /** Suffix of a stage's exclusive (writer) lock. */
    public static final String WRITE = ".write";

    /** Infix of a stage's shared (reader) locks. */
    public static final String READ = ".read-";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final List<Path> held;
    private final Holder me;

    /**
     * Who holds a lock.
     *
     * @param user the user name
     * @param host the host name
     * @param pid the process id
     * @param started when the lock was taken (ISO-8601)
     * @param command what runs, e.g. {@code embedforge-run}
     */
    public record Holder(String user, String host, long pid, String started, String command) {
        /** This process, now. */
        static Holder current(String command) {
            return new Holder(
                    System.getProperty("user.name"),
                    hostName(),
                    ProcessHandle.current().pid(),
                    Instant.now().toString(),
                    command);
        }

        /** One line for messages. */
        public String describe() {
            return String.format(
                    Locale.ROOT,
                    "%s (pid %d on host %s, user %s, since %s)",
                    command,
                    pid,
                    host,
                    user,
                    started);
        }

        /** Whether this holder is a process of this host that is no longer running. */
        boolean deadHere() {
            if (!host.equals(hostName())) {
                return false;
            }
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            if (p.isEmpty() || !p.get().isAlive()) {
                return true;
            }
            Optional<Instant> start = p.get().info().startInstant();
            try {
                // a process started after the lock was taken reuses the pid of the dead holder
                return start.isPresent()
                        && start.get().isAfter(Instant.parse(started).plusSeconds(1));
            } catch (java.time.format.DateTimeParseException e) {
                return false;
            }
        }
    }

    private final Thread onShutdown;

    private OutLock(FileSystem fs, List<Path> held, Holder me) {
        this.fs = fs;
        this.held = held;
        this.me = me;
        this.onShutdown = new Thread(this::release, "embedforge-release-lock");
        Runtime.getRuntime().addShutdownHook(onShutdown);
    }

    /** The exclusive lock file of {@code stage} under {@code out}. */
    public static String writeLock(String out, String stage) {
        return new Path(new Path(out, DIR), stage + WRITE).toString();
    }

    /**
     * Locks {@code writes} exclusively and {@code reads} shared under {@code out} (creating the
     * folders), taking over stale locks of this host with a warning on {@code log}; on a conflict
     * releases what it took and fails.
     *
     * @param writes the stages the command may write
     * @param reads the stages it reads and does not write
     * @throws BadInputException when another live command (or one of another host) conflicts
     */
    public static OutLock acquire(
            Configuration conf,
            String out,
            List<String> writes,
            List<String> reads,
            String command,
            PrintStream log) {
        try {
            Path dir = new Path(out, DIR);
            FileSystem fs = dir.getFileSystem(conf);
            fs.mkdirs(dir);
            Holder me = Holder.current(command);
            List<Path> taken = new ArrayList<>();
            try {
                for (String stage : writes) {
                    taken.add(exclusive(fs, out, stage, me, log));
                }
                for (String stage : reads) {
                    Path mine = new Path(dir, stage + READ + UUID.randomUUID());
                    create(fs, mine, me);
                    taken.add(mine);
                }
                conflicts(fs, out, writes, reads, me, log);
            } catch (RuntimeException e) {
                for (Path p : taken) {
                    fs.delete(p, false);
                }
                throw e;
            }
            return new OutLock(fs, taken, me);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + out, e);
        }
    }

    /**
     * Fails at once when a live command holds a lock that {@code writes} and {@code reads} would
     * conflict with: a second run stops before its plan hashes the inputs. Takes nothing.
     */
    public static void failIfHeld(
            Configuration conf, String out, List<String> writes, List<String> reads) {
        try {
            Path dir = new Path(out, DIR);
            FileSystem fs = dir.getFileSystem(conf);
            if (fs.exists(dir)) {
                conflicts(fs, out, writes, reads, null, null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the locks of " + out, e);
        }
    }

    /** Who holds the exclusive lock of {@code stage} under {@code out}, or null when nobody. */
    public static Holder writer(Configuration conf, String out, String stage) {
        try {
            Path lock = new Path(writeLock(out, stage));
            return read(lock.getFileSystem(conf), lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lock of " + stage, e);
        }
    }

    /**
     * Releases the locks. Also runs on JVM shutdown (SIGTERM, Ctrl-C: an Airflow task killed on
     * timeout), so only {@code kill -9} leaves stale locks.
     */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException e) {
            // shutting down: the hook releases them
        }
        release();
    }

    private void release() {
        try {
            for (Path p : held) {
                if (me.equals(read(fs, p))) {
                    fs.delete(p, false);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the locks " + held, e);
        }
    }

    /** Creates the exclusive lock of {@code stage}, taking over a stale one; fails when held. */
    private static Path exclusive(
            FileSystem fs, String out, String stage, Holder me, PrintStream log)
            throws IOException {
        Path lock = new Path(writeLock(out, stage));
        for (int attempt = 0; attempt < 3; attempt++) {
            if (create(fs, lock, me)) {
                return lock;
            }
            Holder h = read(fs, lock);
            if (h == null) {
                continue; // released meanwhile: try again
            }
            if (!h.deadHere()) {
                throw held(out, lock, h, "writes " + stage);
            }
            warnStale(log, lock, h);
            takeOver(fs, lock, h);
        }
        throw new BadInputException(out + ": the lock " + lock + " could not be taken");
    }

    /**
     * Fails when another live command writes a stage of {@code writes} or {@code reads}, or reads a
     * stage of {@code writes}; removes such locks of dead processes of this host ({@code me} null:
     * only checks).
     */
    private static void conflicts(
            FileSystem fs,
            String out,
            List<String> writes,
            List<String> reads,
            Holder me,
            PrintStream log)
            throws IOException {
        List<String> all = new ArrayList<>(writes);
        all.addAll(reads);
        for (String stage : all) {
            Path lock = new Path(writeLock(out, stage));
            Holder h = read(fs, lock);
            if (h != null && !h.equals(me)) {
                settle(fs, out, lock, h, "writes " + stage, me, log);
            }
        }
        FileStatus[] files = fs.listStatus(new Path(out, DIR));
        for (String stage : writes) {
            for (FileStatus st : files) {
                if (st.getPath().getName().startsWith(stage + READ)) {
                    Holder h = read(fs, st.getPath());
                    if (h != null && !h.equals(me)) {
                        settle(fs, out, st.getPath(), h, "reads " + stage, me, log);
                    }
                }
            }
        }
    }

    /** A conflicting lock: removed when its holder is dead here (and we lock), else a failure. */
    private static void settle(
            FileSystem fs, String out, Path lock, Holder h, String what, Holder me, PrintStream log)
            throws IOException {
        if (!h.deadHere()) {
            throw held(out, lock, h, what);
        }
        if (me != null) {
            warnStale(log, lock, h);
            takeOver(fs, lock, h);
        }
    }

    private static void warnStale(PrintStream log, Path lock, Holder h) {
        log.printf(
                Locale.ROOT,
                "WARNING: taking over the stale lock %s of %s: that process is not running%n",
                lock,
                h.describe());
    }

    private static BadInputException held(String out, Path lock, Holder h, String what) {
        String ifDead =
                h.host().equals(hostName())
                        ? "wait for it to finish, or stop it"
                        : "it runs on another host, which this run cannot check: once it is no"
                                + " longer running, delete "
                                + lock;
        return new BadInputException(
                "output "
                        + out
                        + " is in use by "
                        + h.describe()
                        + ", which "
                        + what
                        + "; "
                        + ifDead);
    }

    /**
     * Fails, before Spark starts and before anything is written, when {@code out} cannot be an
     * output root: it is a file, or (on a local disk) it or the folder it would be created in is
     * not writable. On other file systems writability shows only when writing.
     *
     * @throws BadInputException naming the path and the problem
     */
    public static void checkUsable(Configuration conf, String out) {
        try {
            Path root = new Path(out);
            FileSystem fs = root.getFileSystem(conf);
            if (fs.exists(root) && !fs.getFileStatus(root).isDirectory()) {
                throw new BadInputException("--out " + out + " is a file, not a folder");
            }
            if (!"file".equals(fs.getUri().getScheme())) {
                return;
            }
            java.nio.file.Path local =
                    java.nio.file.Path.of(URI.create(fs.makeQualified(root).toString()));
            java.nio.file.Path existing = local;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isDirectory(existing)) {
                throw new BadInputException(
                        "--out " + out + " cannot be created: " + existing + " is not a folder");
            }
            if (!Files.isWritable(existing)) {
                throw new BadInputException(
                        "--out "
                                + out
                                + (existing.equals(local)
                                        ? " is not writable"
                                        : " cannot be created: " + existing + " is not writable"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check --out " + out, e);
        }
    }

    /** Creates the lock holding {@code me} unless it exists; whether it did. */
    private static boolean create(FileSystem fs, Path lock, Holder me) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(me);
        if ("file".equals(fs.getUri().getScheme())) {
            java.nio.file.Path target =
                    java.nio.file.Path.of(URI.create(fs.makeQualified(lock).toString()));
            java.nio.file.Path tmp =
                    target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID());
            Files.write(tmp, bytes);
            try {
                Files.createLink(target, tmp);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        try (OutputStream out = fs.create(lock, false)) {
            out.write(bytes);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    /**
     * Moves a stale lock aside and deletes it; when what was moved is not the stale lock (another
     * run took over first), puts it back.
     */
    private static void takeOver(FileSystem fs, Path lock, Holder stale) throws IOException {
        Path aside =
                new Path(lock.getParent(), "." + lock.getName() + ".stale-" + UUID.randomUUID());
        if (!fs.rename(lock, aside)) {
            return; // gone already
        }
        if (stale.equals(read(fs, aside))) {
            fs.delete(aside, false);
        } else {
            fs.rename(aside, lock);
        }
    }

    /** The holder in {@code lock}; null when there is no lock file. */
    private static Holder read(FileSystem fs, Path lock) throws IOException {
        if (!fs.exists(lock)) {
            return null;
        }
        byte[] bytes;
        try (InputStream in = fs.open(lock)) {
            bytes = in.readAllBytes();
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            return new Holder(
                    n.path("user").asText(),
                    n.path("host").asText(),
                    n.path("pid").asLong(),
                    n.path("started").asText(),
                    n.path("command").asText());
        } catch (JsonProcessingException e) {
            throw new BadInputException(
                    "the lock "
                            + lock
                            + " cannot be read ("
                            + new String(bytes, StandardCharsets.UTF_8).strip()
                            + "): if no run uses this output, delete it");
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
