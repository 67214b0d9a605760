package io.embedforge.pipeline.export;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.schema.BlendSummary;

/**
 * What to export and the negatives policy.
 *
 * <p>The policy: the blend keeps 0 to {@value TrainingContract#MAX_NEGATIVES} negatives per row,
 * never padded. A row is written when it has at least {@link #required()} negatives, otherwise
 * dropped with reason {@link #DROP_FEWER_NEGATIVES}, counted in the export's manifest and written
 * to its rejects. For {@code sentence-transformers} (a fixed number of columns) {@code negatives}
 * is that number of columns: rows with more keep the best {@code negatives} (counted as truncated).
 * The list formats keep every negative of a row.
 *
 * @param blend the blend output folder (holds {@code stage1/}, {@code stage2/}, {@code
 *     manifest.json})
 * @param out the export folder (must not exist, or be empty)
 * @param format the layout
 * @param negatives number of {@code negative_i} columns of {@code sentence-transformers}
 * @param minNegatives rows with fewer negatives are dropped (every format)
 */
public record ExportRequest(
        String blend, String out, ExportFormat format, int negatives, int minNegatives) {

    /**
     * Drop reason: fewer negatives than the layout or {@code --min-negatives} asks; the blend's
     * reason for its own {@code min_negatives} policy.
     */
    public static final String DROP_FEWER_NEGATIVES = BlendSummary.DROP_TOO_FEW_NEGATIVES;

    /**
     * Default of {@code --negatives}: one hard negative column, the (anchor, positive, negative)
     * triplet.
     */
    public static final int NEGATIVES_DEFAULT = 1;

    /** Default of {@code --min-negatives}: keep rows without negatives in the list formats. */
    public static final int MIN_NEGATIVES_DEFAULT = 0;

    public ExportRequest {
        check("--negatives", negatives);
        check("--min-negatives", minNegatives);
    }

    /** The fewest negatives a written row has. */
    public int required() {
        return format == ExportFormat.SENTENCE_TRANSFORMERS
                ? Math.max(negatives, minNegatives)
                : minNegatives;
    }

    private static void check(String option, int value) {
        if (value < 0 || value > TrainingContract.MAX_NEGATIVES) {
            throw new ConfigException(
                    option
                            + " "
                            + value
                            + " must be in [0, "
                            + TrainingContract.MAX_NEGATIVES
                            + "] (the blend keeps at most that many negatives per row)");
        }
    }
}
