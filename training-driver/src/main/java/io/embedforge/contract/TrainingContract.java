package io.embedforge.contract;

import java.util.List;

/**
 * Column names of the training Parquet that the blend stage writes under {@code
 * <out>/blend/stage1/} and {@code <out>/blend/stage2/} and the trainer reads. Spark-free so both
 * sides share one definition.
 */
public final class TrainingContract {

    public static final String EXAMPLE_ID = "example_id";
    public static final String STAGE = "stage";
    public static final String SOURCE = "source";
    public static final String TASK_TYPE = "task_type";
    public static final String INSTRUCTION = "instruction";
    public static final String QUERY = "query";
    public static final String QUERY_TEXT = "query_text";
    public static final String POSITIVE = "positive";
    public static final String NEGATIVES = "negatives";
    public static final String NEGATIVE_SCORES = "negative_scores";
    public static final String NEGATIVE_MINER = "negative_miner";
    public static final String DOCUMENT_INSTRUCTION = "document_instruction";
    public static final String IN_BATCH_NEGATIVES = "in_batch_negatives";
    public static final String BATCH_INDEX = "batch_index";

    /** All columns, in contract order. */
    public static final List<String> COLUMNS =
            List.of(
                    EXAMPLE_ID,
                    STAGE,
                    SOURCE,
                    TASK_TYPE,
                    INSTRUCTION,
                    QUERY,
                    QUERY_TEXT,
                    POSITIVE,
                    NEGATIVES,
                    NEGATIVE_SCORES,
                    NEGATIVE_MINER,
                    DOCUMENT_INSTRUCTION,
                    IN_BATCH_NEGATIVES,
                    BATCH_INDEX);

    private TrainingContract() {}
}
