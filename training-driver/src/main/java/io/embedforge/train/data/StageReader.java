package io.embedforge.train.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.stream.Stream;

/**
 * Streams one stage folder of training Parquet ({@code blend/stage1} or {@code blend/stage2}) as
 * batches in {@code batch_index} order. Blend writes rows sorted within and across part files, but
 * this does not rely on the order across files: it merges the per-file streams by {@code
 * batch_index} (ties in file-name order), so at most one row group per file is in memory. Resume
 * skips every batch with an index at or below the last one trained.
 */
public final class StageReader implements AutoCloseable {

    private record Head(TrainingExample row, int fileOrder, ParquetExampleFile source) {}

    private final Path dir;
    private final List<ParquetExampleFile> files = new ArrayList<>();
    private final PriorityQueue<Head> heads =
            new PriorityQueue<>(
                    Comparator.comparingLong((Head h) -> h.row().batchIndex())
                            .thenComparingInt(Head::fileOrder));
    private final long skipThrough;

    /**
     * Opens every {@code *.parquet} file in {@code dir}.
     *
     * @param dir the stage folder
     * @param skipThroughBatch skip batches with index {@code <=} this ({@code Long.MIN_VALUE} for
     *     none)
     * @throws IOException if the folder is missing or a file cannot be opened
     * @throws ContractException if the stage is empty or a file lacks contract columns
     */
    public StageReader(Path dir, long skipThroughBatch) throws IOException {
        this.dir = dir;
        this.skipThrough = skipThroughBatch;
        if (!Files.isDirectory(dir)) {
            throw new IOException("stage folder " + dir + " does not exist");
        }
        List<Path> paths;
        try (Stream<Path> s = Files.list(dir)) {
            paths =
                    s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                            .filter(p -> !p.getFileName().toString().startsWith("."))
                            .sorted()
                            .toList();
        }
        if (paths.isEmpty()) {
            throw new ContractException("stage folder " + dir + " has no .parquet files");
        }
        long total = 0;
        try {
            for (int i = 0; i < paths.size(); i++) {
                ParquetExampleFile f = new ParquetExampleFile(paths.get(i));
                files.add(f);
                total += f.rowCount();
                advance(f, i);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        if (total == 0) {
            close();
            throw new ContractException(
                    "stage folder " + dir + " is empty: " + paths.size() + " file(s), 0 rows");
        }
    }

    private void advance(ParquetExampleFile f, int order) {
        TrainingExample r;
        do {
            r = f.next();
        } while (r != null && r.batchIndex() <= skipThrough);
        if (r != null) {
            heads.add(new Head(r, order, f));
        }
    }

    /** Whether another batch follows. */
    public boolean hasNext() {
        return !heads.isEmpty();
    }

    /** The next batch: all rows (from any file) with the smallest remaining batch index. */
    public TrainingBatch next() {
        if (heads.isEmpty()) {
            throw new NoSuchElementException("no more batches in " + dir);
        }
        long index = heads.peek().row().batchIndex();
        List<TrainingExample> rows = new ArrayList<>();
        while (!heads.isEmpty() && heads.peek().row().batchIndex() == index) {
            Head h = heads.poll();
            rows.add(h.row());
            advance(h.source(), h.fileOrder());
        }
        return new TrainingBatch(index, rows);
    }

    /**
     * Counts the batches of a stage by streaming it once (for the LR schedule and ETA).
     *
     * @throws IOException if reading fails
     */
    public static long countBatches(Path dir) throws IOException {
        try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
            long n = 0;
            while (r.hasNext()) {
                r.next();
                n++;
            }
            return n;
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (ParquetExampleFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        files.clear();
        heads.clear();
        if (first != null) {
            throw new UncheckedIOException("closing " + dir, first);
        }
    }
}
