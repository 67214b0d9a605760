package io.embedforge.pipeline.dense;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.embedforge.encoder.PyTorchThreads;

/**
 * Exact inner-product top-k of one query block against one candidate block: one matrix product
 * {@code Q C^T} on DJL's PyTorch engine (BLAS on CPU), then a bounded selection per query row in
 * Java. Ties are broken by candidate id (ascending), so the per-block top-k and their merge give
 * exactly the brute-force answer whatever the block boundaries.
 *
 * <p>Runs on executors. Matrix products of concurrent tasks are serialised by a JVM-wide lock and
 * each uses {@code scoring_threads} libtorch threads (all cores by default); the selection runs
 * outside the lock.
 */
public final class BlockScorer {
    private static final Object MATMUL_LOCK = new Object();

    private BlockScorer() {}

    /** The k best candidates of one query: indices into the block and their scores, best first. */
    public record TopK(int[] index, float[] score) {}

    /**
     * As {@link #topK(float[], int, float[], int, int, String[], int, int)}, keeping of query r
     * only the candidates scoring at least {@code floors[r]}: the score of the k-th hit it already
     * has from earlier blocks, below which nothing can enter its top k. Most candidates of a large
     * corpus then cost one comparison.
     *
     * @param floors per query, the lowest score still of interest; null for none
     */
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
        float[] scores = scores(queries, nq, candidates, nc, dim, threads);
        TopK[] out = new TopK[nq];
        int kk = Math.min(k, nc);
        for (int r = 0; r < nq; r++) {
            float floor = floors == null ? Float.NEGATIVE_INFINITY : floors[r];
            out[r] = select(scores, r * nc, nc, candidateIds, kk, floor);
        }
        return out;
    }

    /** The nq x nc score matrix, row-major, computed by one PyTorch matrix product. */
    public static float[] scores(
            float[] queries, int nq, float[] candidates, int nc, int dim, int threads) {
        if (queries.length != nq * dim || candidates.length != nc * dim) {
            throw new IllegalArgumentException(
                    "block shapes disagree: "
                            + queries.length
                            + " query floats for "
                            + nq
                            + "x"
                            + dim
                            + ", "
                            + candidates.length
                            + " candidate floats for "
                            + nc
                            + "x"
                            + dim);
        }
        synchronized (MATMUL_LOCK) {
            PyTorchThreads.set(threads);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDArray q = manager.create(queries, new Shape(nq, dim));
                NDArray c = manager.create(candidates, new Shape(nc, dim));
                return q.matMul(c.transpose()).toFloatArray();
            }
        }
    }

    /** True when candidate a ranks before candidate b: higher score, then smaller id. */
    private static boolean better(float[] s, int off, String[] ids, int a, int b) {
        float sa = s[off + a];
        float sb = s[off + b];
        return sa > sb || (sa == sb && ids[a].compareTo(ids[b]) < 0);
    }

    /**
     * Bounded heap selection of the k best of one row scoring at least {@code floor}; the root is
     * the worst kept. Once the heap is full, a candidate scoring below the root is rejected by one
     * float comparison, which is what nearly every candidate of a large block gets.
     */
    private static TopK select(float[] s, int off, int n, String[] ids, int k, float floor) {
        int[] heap = new int[k];
        int size = 0;
        float worstKept = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            if (!(s[off + j] >= floor)) {
                continue;
            }
            if (size < k) {
                heap[size] = j;
                int i = size++;
                while (i > 0) {
                    int parent = (i - 1) / 2;
                    if (better(s, off, ids, heap[parent], heap[i])) {
                        int t = heap[parent];
                        heap[parent] = heap[i];
                        heap[i] = t;
                        i = parent;
                    } else {
                        break;
                    }
                }
                worstKept = s[off + heap[0]];
            } else if (s[off + j] >= worstKept && better(s, off, ids, j, heap[0])) {
                heap[0] = j;
                siftDown(heap, size, s, off, ids);
                worstKept = s[off + heap[0]];
            }
        }
        int[] index = new int[size];
        float[] score = new float[size];
        for (int pos = size - 1; pos >= 0; pos--) {
            index[pos] = heap[0];
            score[pos] = s[off + heap[0]];
            heap[0] = heap[--size];
            siftDown(heap, size, s, off, ids);
        }
        return new TopK(index, score);
    }

    private static void siftDown(int[] heap, int size, float[] s, int off, String[] ids) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int worst = l;
            int r = l + 1;
            if (r < size && better(s, off, ids, heap[l], heap[r])) {
                worst = r;
            }
            if (better(s, off, ids, heap[i], heap[worst])) {
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
