package io.embedforge.pipeline.dense;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.embedforge.encoder.PyTorchThreads;
import java.util.Arrays;

/**
 * Exact inner-product top-k of one query block against one candidate block: one matrix product
 * {@code Q C^T} and a row-wise top-k on DJL's PyTorch engine (BLAS on CPU), so only k scores and
 * indices per query cross into Java, not the whole score matrix. Ties are broken by candidate id
 * (ascending), so the per-block top-k and their merge give exactly the brute-force answer whatever
 * the block boundaries: the engine returns the best {@code k + 1} per row; when the {@code
 * (k+1)}-th ties the k-th (or a score is NaN) the engine's choice among equal scores is arbitrary,
 * so that row's scores are copied and selected in Java instead.
 *
 * <p>Runs on executors. Block products of concurrent tasks are serialised by a JVM-wide lock and
 * each uses {@code scoring_threads} libtorch threads (all cores by default).
 */
public final class BlockScorer {
    private static final Object MATMUL_LOCK = new Object();

    private BlockScorer() {}

    /** The k best candidates of one query: indices into the block and their scores, best first. */
    public record TopK(int[] index, float[] score) {}

    /**
     * The k best candidates of each query row (fewer when the block is smaller), keeping of query r
     * only the candidates scoring at least {@code floors[r]}: the score of the k-th hit it already
     * has from earlier blocks, below which nothing can enter its top k.
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
        checkShapes(queries, nq, candidates, nc, dim);
        TopK[] out = new TopK[nq];
        int kk = Math.min(k, nc);
        if (kk == 0) {
            Arrays.fill(out, new TopK(new int[0], new float[0]));
            return out;
        }
        int probe = Math.min(kk + 1, nc);
        float[] values;
        long[] index;
        synchronized (MATMUL_LOCK) {
            PyTorchThreads.set(threads);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDArray q = manager.create(queries, new Shape(nq, dim));
                NDArray c = manager.create(candidates, new Shape(nc, dim));
                NDArray scores = q.matMul(c.transpose());
                NDList top = scores.topK(probe, 1, true, true);
                values = top.get(0).toFloatArray();
                index = top.get(1).toLongArray();
                for (int r = 0; r < nq; r++) {
                    if (ambiguous(values, r * probe, probe, kk)) {
                        float[] row = scores.get(r).toFloatArray();
                        out[r] = select(row, 0, nc, candidateIds, kk, floor(floors, r));
                    }
                }
            }
        }
        for (int r = 0; r < nq; r++) {
            if (out[r] == null) {
                out[r] = fromEngine(values, index, r * probe, kk, candidateIds, floor(floors, r));
            }
        }
        return out;
    }

    private static float floor(float[] floors, int r) {
        return floors == null ? Float.NEGATIVE_INFINITY : floors[r];
    }

    /**
     * True when the engine's top {@code kk} of a row may differ from ours: a NaN among them, or the
     * next score equal to the k-th (then which of the tied candidates made it is arbitrary).
     */
    private static boolean ambiguous(float[] values, int off, int probe, int kk) {
        for (int j = 0; j < probe; j++) {
            if (Float.isNaN(values[off + j])) {
                return true;
            }
        }
        return probe > kk && values[off + kk] == values[off + kk - 1];
    }

    /** The engine's best {@code kk} of one row, ordered by (score desc, id asc), floor applied. */
    private static TopK fromEngine(
            float[] values, long[] index, int off, int kk, String[] ids, float floor) {
        int[] idx = new int[kk];
        float[] score = new float[kk];
        int n = 0;
        for (int j = 0; j < kk; j++) {
            float v = values[off + j];
            if (!(v >= floor)) {
                continue;
            }
            int id = (int) index[off + j];
            int at = n++;
            // Insertion sort: the engine's order is already by score, so this only reorders ties.
            while (at > 0
                    && (score[at - 1] < v
                            || (score[at - 1] == v && ids[idx[at - 1]].compareTo(ids[id]) > 0))) {
                idx[at] = idx[at - 1];
                score[at] = score[at - 1];
                at--;
            }
            idx[at] = id;
            score[at] = v;
        }
        return new TopK(Arrays.copyOf(idx, n), Arrays.copyOf(score, n));
    }

    private static void checkShapes(float[] queries, int nq, float[] candidates, int nc, int dim) {
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
