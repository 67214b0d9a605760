package io.embedforge.train.loss;

import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.data.TrainingExample;
import io.embedforge.train.tokenize.EmbeddingInput;
import java.util.ArrayList;
import java.util.List;

/**
 * The sequences of one training batch and, per query, which documents are candidates. Documents are
 * laid out example by example (positive, then its 0..7 negatives), so a shorter negative list
 * simply contributes fewer columns: nothing is padded, and the mask is what makes stage 1 and 2
 * differ.
 *
 * @param queries one instructed query per example
 * @param documents every example's positive and negatives, with the example's document instruction
 *     if it has one (STS)
 * @param positive per example, the column of its own positive in {@code documents}
 * @param allowed row-major {@code examples x documents}: 1 if the document is a candidate
 */
public record ContrastiveBatch(
        List<EmbeddingInput> queries,
        List<EmbeddingInput> documents,
        int[] positive,
        float[] allowed) {

    /**
     * Builds the layout. Example {@code i}'s candidates are its own positive and negatives; if its
     * row has {@code in_batch_negatives} (stage 1) also every other example's documents. Any
     * candidate other than the own positive whose text equals the own positive is masked (a
     * duplicate positive is not a negative). Documents of a row with a {@code document_instruction}
     * (STS) carry it, formatted and pool-masked like a query's instruction.
     */
    public static ContrastiveBatch of(TrainingBatch batch) {
        List<TrainingExample> ex = batch.examples();
        List<EmbeddingInput> queries = new ArrayList<>(ex.size());
        List<EmbeddingInput> docs = new ArrayList<>();
        int[] owner = new int[batch.sequenceCount() - ex.size()];
        int[] pos = new int[ex.size()];
        for (int i = 0; i < ex.size(); i++) {
            TrainingExample e = ex.get(i);
            queries.add(EmbeddingInput.trainingQuery(e.instruction(), e.query(), e.queryText()));
            pos[i] = docs.size();
            owner[docs.size()] = i;
            docs.add(EmbeddingInput.trainingDocument(e.documentInstruction(), e.positive()));
            for (String n : e.negatives()) {
                owner[docs.size()] = i;
                docs.add(EmbeddingInput.trainingDocument(e.documentInstruction(), n));
            }
        }
        int d = docs.size();
        float[] allowed = new float[ex.size() * d];
        for (int i = 0; i < ex.size(); i++) {
            TrainingExample e = ex.get(i);
            for (int j = 0; j < d; j++) {
                boolean candidate = owner[j] == i || e.inBatchNegatives();
                boolean duplicatePositive = j != pos[i] && docs.get(j).text().equals(e.positive());
                allowed[i * d + j] = candidate && !duplicatePositive ? 1f : 0f;
            }
        }
        return new ContrastiveBatch(List.copyOf(queries), List.copyOf(docs), pos, allowed);
    }

    /** All sequences in embedding order: queries first, then documents. */
    public List<EmbeddingInput> sequences() {
        List<EmbeddingInput> all = new ArrayList<>(queries);
        all.addAll(documents);
        return all;
    }

    /**
     * Whether example {@code i} has a candidate besides its own positive. Without one its softmax
     * has a single entry, its loss is 0 whatever the embeddings, and {@link InfoNce} leaves it out
     * of the mean (stage-2 rows without hard negatives).
     */
    public boolean hasNegatives(int i) {
        int d = documents.size();
        for (int j = 0; j < d; j++) {
            if (j != positive[i] && allowed[i * d + j] != 0f) {
                return true;
            }
        }
        return false;
    }

    /** Number of examples without any negative candidate (left out of the loss). */
    public int rowsWithoutNegatives() {
        int n = 0;
        for (int i = 0; i < examples(); i++) {
            n += hasNegatives(i) ? 0 : 1;
        }
        return n;
    }

    /** Number of examples. */
    public int examples() {
        return queries.size();
    }
}
