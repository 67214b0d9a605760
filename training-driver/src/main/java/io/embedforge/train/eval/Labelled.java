package io.embedforge.train.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Texts with a label each (a classification split or a clustering set), aligned, in file order.
 *
 * @param texts the texts
 * @param labels the label of each text
 * @param parts the fields each text was joined from (arXiv title and abstract), which training data
 *     holds separately and decontamination must therefore match one by one
 */
public record Labelled(List<String> texts, List<String> labels, List<List<String>> parts) {

    /** Checks alignment. */
    public Labelled {
        if (texts.size() != labels.size() || texts.size() != parts.size()) {
            throw new IllegalArgumentException(
                    texts.size()
                            + " texts but "
                            + labels.size()
                            + " labels and "
                            + parts.size()
                            + " part lists");
        }
    }

    /** Texts of one field each. */
    public Labelled(List<String> texts, List<String> labels) {
        this(texts, labels, texts.stream().map(List::of).toList());
    }

    /** Number of rows. */
    public int size() {
        return texts.size();
    }

    /** Number of distinct labels. */
    public long distinctLabels() {
        return labels.stream().distinct().count();
    }

    /** The rows at {@code rows}, in that order. */
    public Labelled rows(List<Integer> rows) {
        List<String> t = new ArrayList<>(rows.size());
        List<String> l = new ArrayList<>(rows.size());
        List<List<String>> p = new ArrayList<>(rows.size());
        for (int i : rows) {
            t.add(texts.get(i));
            l.add(labels.get(i));
            p.add(parts.get(i));
        }
        return new Labelled(t, l, p);
    }

    /**
     * Row indices ordered by a seeded hash of the index (a seeded shuffle that does not depend on
     * the order of any other draw).
     */
    public static List<Integer> shuffled(int n, long seed, long salt) {
        return IntStream.range(0, n)
                .boxed()
                .sorted(Comparator.comparingLong((Integer i) -> rank(seed, salt, i)))
                .toList();
    }

    /** The first {@code max} rows of a seeded shuffle, back in file order; all when max is 0. */
    public Labelled sample(int max, long seed) {
        if (max <= 0 || max >= size()) {
            return this;
        }
        return rows(shuffled(size(), seed, 0).subList(0, max).stream().sorted().toList());
    }

    /** SplitMix64 of (seed, salt, index): a stable 64-bit rank. */
    static long rank(long seed, long salt, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L + index + 1;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
