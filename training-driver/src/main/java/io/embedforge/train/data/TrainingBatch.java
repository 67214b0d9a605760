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

    /** Number of sequences to embed: queries, positives and negatives. */
    public int sequenceCount() {
        int n = 0;
        for (TrainingExample e : examples) {
            n += 2 + e.negatives().size();
        }
        return n;
    }
}
