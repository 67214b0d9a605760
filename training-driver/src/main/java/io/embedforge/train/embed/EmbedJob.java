package io.embedforge.train.embed;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.eval.NvEmbedEmbedder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Embeds every good row of an input in batches, on this machine (DJL, no Spark): writes the
 * embeddings, the rejects and a manifest with the counts, each to a temporary name first and
 * renamed at the end, so a failed run leaves none of them. Counts reconcile (rows read = rows
 * embedded + rows rejected) or the job fails.
 *
 * @param out the embeddings file; the rejects go to {@link #rejectsFile}, the counts to {@link
 *     #manifestFile}
 * @param instruction the task instruction of queries, or null for documents
 * @param batchSize texts per forward pass
 */
public record EmbedJob(Path out, String instruction, int batchSize) {
    /** A progress line at most this often. */
    private static final long PROGRESS_NANOS = 10_000_000_000L;

    /** {@code x.parquet} -> {@code x.rejects.parquet}. */
    public Path rejectsFile() {
        return sibling(".rejects.parquet");
    }

    /** {@code x.parquet} -> {@code x.manifest.json}. */
    public Path manifestFile() {
        return sibling(".manifest.json");
    }

    private Path sibling(String suffix) {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".parquet") ? name.substring(0, name.length() - 8) : name;
        return out.resolveSibling(stem + suffix);
    }

    /** The counts of one run. */
    public record Counts(long read, long written, Map<String, Long> rejected) {
        /** Rows rejected, all reasons. */
        public long rejectedTotal() {
            return rejected.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Runs the job; {@code log} gets the progress lines. */
    public Counts run(NDManager m, EmbeddingModel model, EmbedInput input, PrintStream log)
            throws IOException {
        Path tmpOut = out.resolveSibling("." + out.getFileName() + ".tmp");
        Path tmpRejects = out.resolveSibling("." + rejectsFile().getFileName() + ".tmp");
        Files.deleteIfExists(tmpOut);
        Files.deleteIfExists(tmpRejects);
        NvEmbedEmbedder embedder =
                new NvEmbedEmbedder(model.model(), model.tokenizer(), m, batchSize);
        long read = 0;
        long written = 0;
        Map<String, Long> rejected = new TreeMap<>();
        long start = System.nanoTime();
        long lastLog = start;
        try (EmbedOutput w = new EmbedOutput(tmpOut, tmpRejects)) {
            List<EmbedInput.Row> batch = new ArrayList<>(batchSize);
            for (EmbedInput.Row r = input.next(); ; r = input.next()) {
                if (r != null) {
                    read++;
                    if (r.reason() != null) {
                        rejected.merge(r.reason(), 1L, Long::sum);
                        w.reject(r);
                    } else {
                        batch.add(r);
                    }
                }
                if (batch.size() == batchSize || (r == null && !batch.isEmpty())) {
                    written += write(embedder, batch, w);
                    batch.clear();
                    if (System.nanoTime() - lastLog > PROGRESS_NANOS) {
                        lastLog = System.nanoTime();
                        progress(log, read, written, rejected, start);
                    }
                }
                if (r == null) {
                    break;
                }
            }
        }
        Counts counts = new Counts(read, written, rejected);
        if (counts.read() != counts.written() + counts.rejectedTotal()) {
            throw new IllegalStateException(
                    "counts do not reconcile: read "
                            + read
                            + ", written "
                            + written
                            + ", rejected "
                            + rejected);
        }
        Files.move(tmpOut, out, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpRejects, rejectsFile(), StandardCopyOption.REPLACE_EXISTING);
        progress(log, read, written, rejected, start);
        return counts;
    }

    private long write(NvEmbedEmbedder embedder, List<EmbedInput.Row> batch, EmbedOutput w)
            throws IOException {
        List<String> texts = batch.stream().map(EmbedInput.Row::text).toList();
        float[][] v =
                instruction == null
                        ? embedder.embedDocuments(texts)
                        : embedder.embedQueries(instruction, texts);
        for (int i = 0; i < v.length; i++) {
            w.embedding(batch.get(i).id(), batch.get(i).text(), v[i]);
        }
        return v.length;
    }

    private static void progress(
            PrintStream log, long read, long written, Map<String, Long> rejected, long start) {
        double s = (System.nanoTime() - start) / 1e9;
        log.printf(
                Locale.ROOT,
                "embed: %d rows read, %d embedded, %d rejected %s; %.1f s, %.1f rows/s%n",
                read,
                written,
                rejected.values().stream().mapToLong(Long::longValue).sum(),
                rejected,
                s,
                written / Math.max(s, 1e-9));
    }

    /** Writes the manifest: model, input, instruction, counts per reason, output files. */
    public void writeManifest(String model, Path input, Counts c) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.put("model", model);
        n.put("input", input.toAbsolutePath().toString());
        n.put("instruction", instruction);
        n.put("rows_read", c.read());
        n.put("rows_embedded", c.written());
        n.put("rows_rejected", c.rejectedTotal());
        ObjectNode by = n.putObject("rejected_by_reason");
        c.rejected().forEach(by::put);
        n.put("embeddings", out.toAbsolutePath().toString());
        n.put("rejects", rejectsFile().toAbsolutePath().toString());
        Files.writeString(
                manifestFile(),
                json.writerWithDefaultPrettyPrinter().writeValueAsString(n),
                StandardCharsets.UTF_8);
    }
}
