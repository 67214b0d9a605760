package io.embedforge.train.tokenize;

import io.embedforge.contract.TrainingContract;

/**
 * One text to embed: a query carries the task instruction, a document carries none. NV-Embed
 * formats a query as {@link TrainingContract#QUERY_TEMPLATE} and excludes the instruction tokens
 * from pooling (they still attend and are attended).
 *
 * @param instruction the task definition, or {@code null} for a document
 * @param text the query or document text
 */
public record EmbeddingInput(String instruction, String text) {

    /** Checks the text is present. */
    public EmbeddingInput {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
    }

    /** A query with its instruction. */
    public static EmbeddingInput query(String instruction, String text) {
        if (instruction == null) {
            throw new IllegalArgumentException("instruction must not be null for a query");
        }
        return new EmbeddingInput(instruction, text);
    }

    /** A document (no instruction). */
    public static EmbeddingInput document(String text) {
        return new EmbeddingInput(null, text);
    }

    /**
     * A training row's query as the trainer embeds it: with its instruction (pool-masked), or, when
     * the row has none, its {@code query_text} as a plain document.
     */
    public static EmbeddingInput trainingQuery(String instruction, String query, String queryText) {
        return instruction == null || instruction.isBlank()
                ? document(queryText)
                : query(instruction, query);
    }

    /**
     * A training row's positive or negative as the trainer embeds it: with the row's {@code
     * document_instruction} (STS), else plain.
     */
    public static EmbeddingInput trainingDocument(String documentInstruction, String text) {
        return new EmbeddingInput(
                documentInstruction == null || documentInstruction.isBlank()
                        ? null
                        : documentInstruction,
                text);
    }

    /** The instruction prefix as it appears in the model input, or "" for a document. */
    public String prefix() {
        return instruction == null ? "" : TrainingContract.queryText(instruction, "");
    }

    /** The full model input text. */
    public String formatted() {
        return prefix() + text;
    }
}
