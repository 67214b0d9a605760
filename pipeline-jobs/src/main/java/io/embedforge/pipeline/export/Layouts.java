package io.embedforge.pipeline.export;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.transform;
import static org.apache.spark.sql.functions.try_element_at;
import static org.apache.spark.sql.functions.when;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.config.TaskType;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;

/**
 * The columns of each export layout, as Spark expressions over the contract's columns (no UDF, no
 * collect). Instructions: the query always carries the NV-Embed template {@code Instruct:
 * {instruction}\nQuery: {query}}; documents are written as the blend holds them, without
 * instruction, as our trainer embeds them.
 */
final class Layouts {
    /** Sentence-transformers' column names. */
    static final String ANCHOR = "anchor";

    static final String POSITIVE = "positive";
    static final String NEGATIVE_PREFIX = "negative_";

    /** FlagEmbedding's {@code type} per task, its convention for the bge-en-icl data. */
    static final String TYPE_NORMAL = "normal";

    private Layouts() {}

    /** The selected columns of {@code format}, in file order. */
    static List<Column> columns(ExportFormat format, int negatives) {
        return switch (format) {
            case HF -> TrainingContract.COLUMNS.stream().map(c -> col(c)).toList();
            case SENTENCE_TRANSFORMERS -> sentenceTransformers(negatives);
            case FLAGEMBEDDING -> flagEmbedding();
            case TEVATRON -> tevatron();
        };
    }

    /**
     * {@code anchor} (pre-instructed query), {@code positive}, {@code negative_1..n}: nothing else.
     */
    private static List<Column> sentenceTransformers(int negatives) {
        List<Column> cols = new ArrayList<>();
        cols.add(col(TrainingContract.QUERY_TEXT).as(ANCHOR));
        cols.add(col(TrainingContract.POSITIVE).as(POSITIVE));
        for (int i = 1; i <= negatives; i++) {
            cols.add(
                    try_element_at(col(TrainingContract.NEGATIVES), lit(i))
                            .as(NEGATIVE_PREFIX + i));
        }
        return cols;
    }

    /**
     * {@code query} without instruction and {@code prompt} = the template up to the query, so that
     * FlagEmbedding's {@code --query_instruction_format '{}{}'} rebuilds {@code query_text}
     * exactly.
     */
    private static List<Column> flagEmbedding() {
        Column task = col(TrainingContract.TASK_TYPE);
        Column type =
                when(task.equalTo(TaskType.CLASSIFICATION.configName()), "symmetric_class")
                        .when(
                                task.equalTo(TaskType.CLUSTERING.configName()),
                                "symmetric_clustering")
                        .when(task.equalTo(TaskType.STS.configName()), "symmetric_sts")
                        .otherwise(TYPE_NORMAL);
        return List.of(
                col(TrainingContract.QUERY).as("query"),
                array(col(TrainingContract.POSITIVE)).as("pos"),
                col(TrainingContract.NEGATIVES).as("neg"),
                concat(
                                lit(TrainingContract.INSTRUCT_PREFIX),
                                col(TrainingContract.INSTRUCTION),
                                lit(TrainingContract.QUERY_SEPARATOR))
                        .as("prompt"),
                type.as("type"));
    }

    /** Tevatron: passages as {@code {docid, title, text}}, docid = content hash, title empty. */
    private static List<Column> tevatron() {
        return List.of(
                col(TrainingContract.EXAMPLE_ID).as("query_id"),
                col(TrainingContract.QUERY_TEXT).as("query"),
                array(passage(col(TrainingContract.POSITIVE))).as("positive_passages"),
                transform(col(TrainingContract.NEGATIVES), Layouts::passage)
                        .as("negative_passages"));
    }

    /** A passage with a stable id: the first 128 bits of the SHA-256 of its text, in hex. */
    static Column passage(Column text) {
        return struct(
                substring(sha2(text, 256), 1, 32).as("docid"),
                lit("").as("title"),
                text.as("text"));
    }
}
