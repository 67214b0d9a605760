package io.embedforge.train.data;

import java.util.List;

/**
 * One row of the training contract, as the trainer needs it.
 *
 * @param exampleId stable id from blend
 * @param queryText instructed query ({@code Instruct: ...\nQuery: ...})
 * @param instruction the instruction alone (for the pooling mask)
 * @param query the query without instruction
 * @param documentInstruction the instruction put on the positive and negatives too (STS, a
 *     symmetric task), or "" for plain documents
 * @param positive the positive document, never empty
 * @param negatives 0..7 hard negatives (shorter lists are masked in the loss, never padded)
 * @param inBatchNegatives whether other examples' documents are candidates (stage 1)
 * @param batchIndex the batch this row belongs to
 */
public record TrainingExample(
        String exampleId,
        String queryText,
        String instruction,
        String query,
        String documentInstruction,
        String positive,
        List<String> negatives,
        boolean inBatchNegatives,
        long batchIndex) {

    /** Most hard negatives a row may carry. */
    public static final int MAX_NEGATIVES = 7;

    /** Copies the list. */
    public TrainingExample {
        negatives = List.copyOf(negatives);
    }

    /** The same row with other negatives. */
    public TrainingExample withNegatives(List<String> other) {
        return new TrainingExample(
                exampleId,
                queryText,
                instruction,
                query,
                documentInstruction,
                positive,
                other,
                inBatchNegatives,
                batchIndex);
    }
}
