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
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The lock of an output root: one run at a time writes into {@code --out}, so a second run cannot
 * delete committed output the first one is reading. The lock is the file {@code
 * <out>/_EMBEDFORGE_LOCK} holding its holder (user, host, pid, start time, command), created only
 * if absent and deleted when the run ends ({@link #close}, in a {@code finally}). A second run
 * fails at once with a one-line message naming the holder (exit code 2).
 *
 * <p>Creation: on a local folder the holder is written to a temporary file that is then hard-linked
 * to the lock's name, which fails atomically when the lock exists, so the lock is never seen half
 * written. On any other Hadoop file system it is {@code FileSystem.create(lock, overwrite=false)}:
 * atomic on HDFS (the namenode creates the file once); on object stores (s3a, gs) the check and the
 * write are separate requests, so two runs started in the same instant may both get it (their
 * connectors have no create-if-absent).
 *
 * <p>Stale locks: a lock of this host whose pid is not running (or is a process started after the
 * lock was taken: a reused pid) belongs to a killed run; it is taken over with a warning. A lock of
 * another host cannot be checked: the run fails and the message says which file to delete once that
 * run is known to be dead. Driver only.
 */
public final class OutLock implements AutoCloseable {
    /** The lock file under the output root. */
    public static final String FILE = "_EMBEDFORGE_LOCK";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final Path lock;
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

    private OutLock(FileSystem fs, Path lock, Holder me) {
        this.fs = fs;
        this.lock = lock;
        this.me = me;
        this.onShutdown = new Thread(this::release, "embedforge-release-lock");
        Runtime.getRuntime().addShutdownHook(onShutdown);
    }

    /**
     * Takes the lock of {@code out} (creating the folder), taking over a stale one of this host
     * with a warning on {@code log}.
     *
     * @throws BadInputException when another live run (or a run of another host) holds it
     */
    public static OutLock acquire(Configuration conf, String out, String command, PrintStream log) {
        try {
            Path root = new Path(out);
            FileSystem fs = root.getFileSystem(conf);
            fs.mkdirs(root);
            Path lock = new Path(root, FILE);
            Holder me = Holder.current(command);
            for (int attempt = 0; attempt < 3; attempt++) {
                if (create(fs, lock, me)) {
                    return new OutLock(fs, lock, me);
                }
                Holder h = read(fs, lock);
                if (h == null) {
                    continue; // released meanwhile: try again
                }
                if (!h.deadHere()) {
                    throw held(out, lock, h);
                }
                log.printf(
                        Locale.ROOT,
                        "WARNING: taking over the stale lock %s of %s: that process is not"
                                + " running%n",
                        lock,
                        h.describe());
                takeOver(fs, lock, h);
            }
            throw new BadInputException(out + " is locked (" + lock + "), and taking it failed");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + out, e);
        }
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

    /**
     * Fails at once when a live run holds the lock of {@code out} (or a run of another host): a
     * second run stops before its plan hashes the inputs. Takes nothing; {@link #acquire} decides.
     */
    public static void failIfHeld(Configuration conf, String out) {
        try {
            Path lock = new Path(out, FILE);
            Holder h = read(lock.getFileSystem(conf), lock);
            if (h != null && !h.deadHere()) {
                throw held(out, lock, h);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lock of " + out, e);
        }
    }

    /** Who holds the lock of {@code out}, or null when nobody does. */
    public static Holder holder(Configuration conf, String out) {
        try {
            Path lock = new Path(out, FILE);
            return read(lock.getFileSystem(conf), lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lock of " + out, e);
        }
    }

    /**
     * Releases the lock if this run still holds it. Also runs on JVM shutdown (SIGTERM, Ctrl-C: an
     * Airflow task killed on timeout), so only a killed {@code kill -9} leaves a stale lock.
     */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException e) {
            // shutting down: the hook releases it
        }
        release();
    }

    private void release() {
        try {
            if (me.equals(read(fs, lock))) {
                fs.delete(lock, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the lock " + lock, e);
        }
    }

    private static BadInputException held(String out, Path lock, Holder h) {
        String ifDead =
                h.host().equals(hostName())
                        ? "wait for it to finish, or stop it"
                        : "it runs on another host, which this run cannot check: once it is no"
                                + " longer running, delete "
                                + lock;
        return new BadInputException(
                "output " + out + " is in use by " + h.describe() + "; " + ifDead);
    }

    /** Creates the lock holding {@code me} unless it exists; whether it did. */
    private static boolean create(FileSystem fs, Path lock, Holder me) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(me);
        if ("file".equals(fs.getUri().getScheme())) {
            java.nio.file.Path target =
                    java.nio.file.Path.of(URI.create(fs.makeQualified(lock).toString()));
            java.nio.file.Path tmp = target.resolveSibling(FILE + "." + UUID.randomUUID());
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
        Path aside = new Path(lock.getParent(), FILE + ".stale-" + UUID.randomUUID());
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
