package io.embedforge.contract;

import java.util.List;

/**
 * The training contract: column names of the two datasets {@code blend} writes ({@code
 * <out>/blend/stage1/}, {@code <out>/blend/stage2/}) and the trainer reads, defined once and free
 * of Spark so the trainer can depend on it. Documented in {@code docs/contract.md}; the Spark
 * schema is {@code io.embedforge.pipeline.schema.TrainingExamplesTable}.
 *
 * <p>One row is one training example: an instructed query, one positive and up to {@link
 * #MAX_NEGATIVES} hard negatives. The trainer reads rows in {@link #BATCH_INDEX} order and cuts
 * batches where it changes.
 */
public final class TrainingContract {
    private TrainingContract() {}

    /** Stable id of the example (content hash of source and texts), unique within a stage. */
    public static final String EXAMPLE_ID = "example_id";

    /** Training stage: {@link #STAGE1} or {@link #STAGE2}. */
    public static final String STAGE = "stage";

    /** Source instance name of the profile. */
    public static final String SOURCE = "source";

    /** {@code retrieval}, {@code classification}, {@code clustering} or {@code sts}. */
    public static final String TASK_TYPE = "task_type";

    /** The task definition (without the template), from the source's config. */
    public static final String INSTRUCTION = "instruction";

    /** The query without instruction. */
    public static final String QUERY = "query";

    /** The query as the model sees it: {@link #queryText(String, String)}. */
    public static final String QUERY_TEXT = "query_text";

    /** The positive document, without instruction. */
    public static final String POSITIVE = "positive";

    /** Hard negatives, best first, 0..{@link #MAX_NEGATIVES} texts, never padded. */
    public static final String NEGATIVES = "negatives";

    /** Miner score of each negative, aligned with {@link #NEGATIVES}; null elements if none. */
    public static final String NEGATIVE_SCORES = "negative_scores";

    /**
     * Which miner found the negatives: {@code dense}, {@code bm25}, {@code label}, {@code example}.
     */
    public static final String NEGATIVE_MINER = "negative_miner";

    /** Instruction for documents (positive and negatives): null unless the source is symmetric. */
    public static final String DOCUMENT_INSTRUCTION = "document_instruction";

    /** Whether other examples' positives of the batch count as negatives (stage 1 only). */
    public static final String IN_BATCH_NEGATIVES = "in_batch_negatives";

    /** 0-based batch number; rows of one batch share it, batches are read in increasing order. */
    public static final String BATCH_INDEX = "batch_index";

    /** Every column, in the order of the files. */
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

    /** Stage 1: retrieval sources only, in-batch negatives on. */
    public static final String STAGE1 = "stage1";

    /** Stage 2: every source, in-batch negatives off. */
    public static final String STAGE2 = "stage2";

    /** Upper bound on {@link #NEGATIVES} per example (the recipe's 7 hard negatives). */
    public static final int MAX_NEGATIVES = 7;

    /** Batch size of the recipe, the default of {@code stages.blend.batch_size}. */
    public static final int DEFAULT_BATCH_SIZE = 128;

    /** Prefix of the query template, before the task definition. */
    public static final String INSTRUCT_PREFIX = "Instruct: ";

    /** Separator between the task definition and the query. */
    public static final String QUERY_SEPARATOR = "\nQuery: ";

    /**
     * The query template in the one form used everywhere it is written down (export metadata, model
     * card, docs): {@code Instruct: {instruction}\nQuery: {query}}, the placeholders named as in
     * sentence-transformers-style prompts rather than {@code %s}.
     */
    public static final String QUERY_TEMPLATE =
            INSTRUCT_PREFIX + "{instruction}" + QUERY_SEPARATOR + "{query}";

    /**
     * The NV-Embed query template {@code Instruct: {task_definition}\nQuery: {query}}. The trainer
     * masks everything before the query out of pooling: its length is {@code queryText(instruction,
     * "").length()}.
     */
    public static String queryText(String instruction, String query) {
        return INSTRUCT_PREFIX + instruction + QUERY_SEPARATOR + query;
    }
}
