package io.embedforge.train.data;

import java.util.List;

/**
 * All rows sharing one {@code batch_index}, in file order.
 *
 * @param batchIndex the index blend assigned
 * @param examples the rows
 */
public record TrainingBatch(long batchIndex, List<TrainingExample> examples) {

    /** Copies the list. */
    public TrainingBatch {
        examples = List.copyOf(examples);
    }

    /**
     * The batch with each row's negatives cut to the first {@code max} (blend ranks them best
     * first), for compute budgets; rows with fewer keep theirs.
     */
    public TrainingBatch withMaxNegatives(int max) {
        List<TrainingExample> cut = new java.util.ArrayList<>(examples.size());
        for (TrainingExample e : examples) {
            cut.add(
                    e.negatives().size() <= max
                            ? e
                            : e.withNegatives(e.negatives().subList(0, max)));
        }
        return new TrainingBatch(batchIndex, cut);
    }

    /** Number of sequences to embed: queries, positives and negatives. */
    public int sequenceCount() {
        int n = 0;
        for (TrainingExample e : examples) {
            n += 2 + e.negatives().size();
        }
        return n;
    }
}
