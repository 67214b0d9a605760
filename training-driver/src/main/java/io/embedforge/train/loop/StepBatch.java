package io.embedforge.train.loop;

import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.loss.ContrastiveBatch;
import io.embedforge.train.tokenize.TokenBatch;
import java.util.List;

/**
 * One training step's input, ready for {@link io.embedforge.train.loss.GradCache}: the batch as
 * read (negatives already cut to {@code max_negatives}), its contrastive layout and its GradCache
 * chunks tokenised. Independent of the model's mask and pooling, so an ablation prepares it once
 * for every variant.
 *
 * @param batch the rows of one {@code batch_index}
 * @param contrastive the sequences and the loss layout
 * @param chunks the sequences tokenised, {@code chunk_size} per chunk
 * @param seconds time spent reading and preparing it (the {@code data_seconds} metric)
 */
public record StepBatch(
        TrainingBatch batch,
        ContrastiveBatch contrastive,
        List<TokenBatch> chunks,
        double seconds) {

    /** Copies the chunk list. */
    public StepBatch {
        chunks = List.copyOf(chunks);
    }
}
