package io.embedforge.train.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checkpoint folders {@code <run>/checkpoints/ckpt-<global step>-s<stage>[-end]}. Each is written
 * into a hidden temporary folder and renamed into place, and its {@code state.json} (written last)
 * records the SHA-256 of every file, so a folder that is partial, truncated or altered fails
 * verification and the previous good checkpoint is used instead.
 */
public final class Checkpoints {

    /** Trainable weights, by parameter name. */
    public static final String WEIGHTS = "trainable.safetensors";

    /** Adam moments. */
    public static final String OPTIMIZER = "optimizer.safetensors";

    /** Position, step, seed and file digests. */
    public static final String STATE = "state.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final PrintStream log;

    /** A verified checkpoint. */
    public record Loaded(Path folder, TrainState state) {}

    /** Writes the payload files of a checkpoint into a folder. */
    @FunctionalInterface
    public interface Payload {
        /** Writes {@link #WEIGHTS} and {@link #OPTIMIZER} into {@code folder}. */
        void write(Path folder) throws IOException;
    }

    /**
     * @param dir the checkpoints folder
     * @param log where skipped (corrupt) checkpoints are reported
     */
    public Checkpoints(Path dir, PrintStream log) {
        this.dir = dir;
        this.log = log;
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    /**
     * Writes a checkpoint atomically and prunes old step checkpoints (stage-end ones are kept).
     *
     * @return the final folder
     * @throws IOException if writing fails (disk full...): the temporary folder is removed and
     *     earlier checkpoints are untouched
     */
    public Path save(TrainState state, Payload payload, int keep) throws IOException {
        Files.createDirectories(dir);
        String name =
                String.format(
                        "ckpt-%09d-s%d%s",
                        state.globalStep(), state.stage(), state.stageComplete() ? "-end" : "");
        Path tmp = dir.resolve(".tmp-" + name);
        Path target = dir.resolve(name);
        FileTrees.delete(tmp);
        try {
            Files.createDirectories(tmp);
            payload.write(tmp);
            ObjectNode s = JSON.createObjectNode();
            s.put("stage", state.stage());
            s.put("stage_step", state.stageStep());
            s.put("global_step", state.globalStep());
            s.put("last_batch_index", state.lastBatchIndex());
            s.put("stage_complete", state.stageComplete());
            s.put("seed", state.seed());
            ObjectNode digests = s.putObject("sha256");
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : files.sorted().toList()) {
                    digests.put(f.getFileName().toString(), sha256(f));
                }
            }
            Path stateTmp = tmp.resolve(STATE + ".tmp");
            Files.writeString(
                    stateTmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
            move(stateTmp, tmp.resolve(STATE));
            FileTrees.delete(target);
            move(tmp, target);
        } catch (IOException | RuntimeException e) {
            FileTrees.delete(tmp);
            throw new IOException(
                    "writing checkpoint " + target + " failed (earlier checkpoints kept): " + e, e);
        }
        prune(keep);
        return target;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private void prune(int keep) throws IOException {
        List<Path> steps = new ArrayList<>();
        for (Path p : list()) {
            if (!p.getFileName().toString().endsWith("-end")) {
                steps.add(p);
            }
        }
        for (int i = 0; i < steps.size() - keep; i++) {
            FileTrees.delete(steps.get(i));
        }
    }

    /** Checkpoint folders, oldest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("ckpt-"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    /**
     * The newest checkpoint that verifies; corrupt ones are reported and skipped.
     *
     * @throws IOException if listing fails
     */
    public Optional<Loaded> latestGood() throws IOException {
        List<Path> all = new ArrayList<>(list());
        for (int i = all.size() - 1; i >= 0; i--) {
            Path f = all.get(i);
            try {
                return Optional.of(new Loaded(f, verify(f)));
            } catch (IOException | RuntimeException e) {
                log.println(
                        "checkpoint " + f + " is corrupt or partial, skipped: " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Checks the digests and reads the state.
     *
     * @throws IOException naming the file that is missing or differs
     */
    public static TrainState verify(Path folder) throws IOException {
        Path stateFile = folder.resolve(STATE);
        if (!Files.exists(stateFile)) {
            throw new IOException(stateFile + " is missing");
        }
        JsonNode s = JSON.readTree(stateFile.toFile());
        JsonNode digests = s.get("sha256");
        if (digests == null || !digests.has(WEIGHTS) || !digests.has(OPTIMIZER)) {
            throw new IOException(
                    stateFile + " lacks the digests of " + WEIGHTS + " and " + OPTIMIZER);
        }
        for (Iterator<String> it = digests.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            Path f = folder.resolve(name);
            if (!Files.exists(f)) {
                throw new IOException(f + " is missing");
            }
            String got = sha256(f);
            if (!got.equals(digests.get(name).asText())) {
                throw new IOException(
                        f
                                + " has SHA-256 "
                                + got
                                + ", state.json records "
                                + digests.get(name).asText());
            }
        }
        return new TrainState(
                s.get("stage").asInt(),
                s.get("stage_step").asLong(),
                s.get("global_step").asLong(),
                s.get("last_batch_index").asLong(),
                s.get("stage_complete").asBoolean(),
                s.get("seed").asLong());
    }

    static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
