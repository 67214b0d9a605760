package io.embedforge.pipeline.dense;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.embedforge.encoder.PyTorchThreads;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Exact inner-product top-k of one query block against candidate blocks: per candidate block,
 * matrix products {@code Q C^T} on DJL's PyTorch engine (BLAS on CPU) in tiles of query rows, then
 * a bounded heap per row in Java over the scores read from the product's native memory one row at a
 * time. Ties are broken by candidate id (ascending), so the per-block top-k and their merge give
 * exactly the brute-force answer whatever the block boundaries.
 *
 * <p>The query block is copied to the engine once and each candidate block once, however many tiles
 * they take. Tiles hold at most {@code scoreTile} scores: 16 MB tiles beat 64 MB ones by 9-12% over
 * a whole search (most likely because a product that large gets fresh pages from the allocator
 * every time) and 8 MB ones by 1-7%.
 *
 * <p>Why not the engine's top-k: it copies every row into (value, index) pairs before a partial
 * sort, costing about a third of the product, and picks arbitrarily among tied scores. Here nearly
 * every score is rejected by one comparison with a floor below which nothing can enter the row's
 * top k: the k-th best the query already has from earlier blocks, or, in its first block, the
 * lowest of the maxima of k disjoint slices of the row (k distinct scores at least that high exist,
 * so the k-th best is too).
 *
 * <p>Runs on executors. Tiles of concurrent tasks are scored one at a time per JVM (a JVM-wide
 * lock); each uses {@code scoring_threads} threads (all cores by default) for the product
 * (libtorch) and for the selection (row ranges on the common fork-join pool). Not thread-safe;
 * close it to free the query block's native memory.
 */
public final class BlockScorer implements AutoCloseable {
    /**
     * Default bound on the scores of one tile (4M floats, 16 MB): 1024 query rows against a
     * candidate block of 4096.
     */
    public static final int SCORE_TILE = 1 << 22;

    private static final Object SCORING_LOCK = new Object();

    private final NDManager manager;
    private final NDArray queries;
    private final int nq;
    private final int dim;
    private final int threads;
    private final int scoreTile;

    /** The k best candidates of one query: indices into the block and their scores, best first. */
    public record TopK(int[] index, float[] score) {}

    /**
     * Copies a query block to the engine.
     *
     * @param queries nq x dim floats, row-major
     * @param threads threads per product and selection (0 = all cores)
     * @param scoreTile most scores one product yields; a tile has {@code max(1, scoreTile / nc)}
     *     rows
     */
    public BlockScorer(float[] queries, int nq, int dim, int threads, int scoreTile) {
        if (queries.length != nq * dim) {
            throw new IllegalArgumentException(
                    "block shapes disagree: "
                            + queries.length
                            + " query floats for "
                            + nq
                            + "x"
                            + dim);
        }
        this.manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        this.queries = manager.create(queries, new Shape(nq, dim));
        this.nq = nq;
        this.dim = dim;
        this.threads = PyTorchThreads.resolve(threads);
        this.scoreTile = scoreTile;
    }

    /** {@link #topK(float[], int, String[], int, float[])} of one block pair. */
    public static TopK[] topK(
            float[] queries,
            int nq,
            float[] candidates,
            int nc,
            int dim,
            String[] candidateIds,
            int k,
            int threads,
            float[] floors) {
        try (BlockScorer scorer = new BlockScorer(queries, nq, dim, threads, SCORE_TILE)) {
            return scorer.topK(candidates, nc, candidateIds, k, floors);
        }
    }

    /**
     * The k best candidates of each query row (fewer when the block is smaller), keeping of query r
     * only the candidates scoring at least {@code floors[r]}: the score of the k-th hit it already
     * has from earlier blocks, below which nothing can enter its top k. NaN scores are never hits.
     *
     * @param candidates nc x dim floats, row-major
     * @param floors per query, the lowest score still of interest; null for none
     */
    public TopK[] topK(float[] candidates, int nc, String[] candidateIds, int k, float[] floors) {
        if (candidates.length != nc * dim || candidateIds.length != nc) {
            throw new IllegalArgumentException(
                    "block shapes disagree: "
                            + candidates.length
                            + " candidate floats and "
                            + candidateIds.length
                            + " ids for "
                            + nc
                            + "x"
                            + dim);
        }
        TopK[] out = new TopK[nq];
        int kk = Math.min(k, nc);
        if (kk == 0) {
            Arrays.fill(out, new TopK(new int[0], new float[0]));
            return out;
        }
        int tile = Math.max(1, scoreTile / nc);
        try (NDArray block = manager.create(candidates, new Shape(nc, dim));
                NDArray transposed = block.transpose()) {
            for (int from = 0; from < nq; from += tile) {
                int to = Math.min(nq, from + tile);
                synchronized (SCORING_LOCK) {
                    PyTorchThreads.set(threads);
                    try (NDArray rows = queries.get(new NDIndex("{}:{}", from, to));
                            NDArray scores = rows.matMul(transposed)) {
                        // A view of the product's memory, valid until it is closed.
                        FloatBuffer view =
                                scores.toByteBuffer(true)
                                        .order(ByteOrder.nativeOrder())
                                        .asFloatBuffer();
                        selectRows(view, from, to, nc, candidateIds, kk, floors, out);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Selects rows {@code from..to} of the query block from a tile's scores, in parallel ranges.
     */
    private void selectRows(
            FloatBuffer tile,
            int from,
            int to,
            int nc,
            String[] ids,
            int k,
            float[] floors,
            TopK[] out) {
        int ranges = Math.min(threads, to - from);
        IntStream.range(0, ranges)
                .parallel()
                .forEach(
                        range -> {
                            float[] row = new float[nc];
                            int first = from + (int) ((long) range * (to - from) / ranges);
                            int end = from + (int) ((long) (range + 1) * (to - from) / ranges);
                            for (int r = first; r < end; r++) {
                                tile.get((r - from) * nc, row);
                                float floor = floors == null ? Float.NEGATIVE_INFINITY : floors[r];
                                if (floor == Float.NEGATIVE_INFINITY) {
                                    floor = lowestSliceMaximum(row, k);
                                }
                                out[r] = select(row, ids, k, floor);
                            }
                        });
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * A lower bound of a row's k-th best score: the lowest of the maxima of k disjoint slices,
     * since those are k distinct scores at least that high. NaN never counts as a maximum; a slice
     * of NaN alone gives -inf, which keeps the bound valid.
     */
    static float lowestSliceMaximum(float[] row, int k) {
        int n = row.length;
        if (n <= k) {
            return Float.NEGATIVE_INFINITY;
        }
        float lowest = Float.POSITIVE_INFINITY;
        for (int slice = 0; slice < k; slice++) {
            int to = (int) ((long) (slice + 1) * n / k);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = (int) ((long) slice * n / k); j < to; j++) {
                if (row[j] > max) {
                    max = row[j];
                }
            }
            lowest = Math.min(lowest, max);
        }
        return lowest;
    }

    /** True when candidate a ranks before candidate b: higher score, then smaller id. */
    private static boolean better(float[] s, String[] ids, int a, int b) {
        return s[a] > s[b] || (s[a] == s[b] && ids[a].compareTo(ids[b]) < 0);
    }

    /**
     * Bounded heap selection of the k best of one row scoring at least {@code floor}; the root is
     * the worst kept. Once the heap is full, a candidate scoring below the root is rejected by one
     * float comparison, which is what nearly every candidate of a large block gets.
     */
    private static TopK select(float[] s, String[] ids, int k, float floor) {
        int[] heap = new int[k];
        int size = 0;
        float worstKept = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < s.length; j++) {
            float v = s[j];
            if (!(v >= floor)) {
                continue;
            }
            if (size < k) {
                heap[size] = j;
                int i = size++;
                while (i > 0) {
                    int parent = (i - 1) / 2;
                    if (better(s, ids, heap[parent], heap[i])) {
                        int t = heap[parent];
                        heap[parent] = heap[i];
                        heap[i] = t;
                        i = parent;
                    } else {
                        break;
                    }
                }
                worstKept = s[heap[0]];
            } else if (v >= worstKept && better(s, ids, j, heap[0])) {
                heap[0] = j;
                siftDown(heap, size, s, ids);
                worstKept = s[heap[0]];
            }
        }
        int[] index = new int[size];
        float[] score = new float[size];
        for (int pos = size - 1; pos >= 0; pos--) {
            index[pos] = heap[0];
            score[pos] = s[heap[0]];
            heap[0] = heap[--size];
            siftDown(heap, size, s, ids);
        }
        return new TopK(index, score);
    }

    private static void siftDown(int[] heap, int size, float[] s, String[] ids) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int worst = l;
            int r = l + 1;
            if (r < size && better(s, ids, heap[l], heap[r])) {
                worst = r;
            }
            if (better(s, ids, heap[i], heap[worst])) {
                int t = heap[i];
                heap[i] = heap[worst];
                heap[worst] = t;
                i = worst;
            } else {
                return;
            }
        }
    }
}
