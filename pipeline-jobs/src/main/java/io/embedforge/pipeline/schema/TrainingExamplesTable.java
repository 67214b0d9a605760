package io.embedforge.pipeline.schema;

import io.embedforge.contract.TrainingContract;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Spark schema of the training contract ({@link TrainingContract}, {@code docs/contract.md}): what
 * {@code blend} writes under {@code blend/stage1/} and {@code blend/stage2/}. Column names come
 * from {@link TrainingContract} only.
 */
public final class TrainingExamplesTable {
    private TrainingExamplesTable() {}

    public static final StructType SCHEMA =
            new StructType()
                    .add(TrainingContract.EXAMPLE_ID, DataTypes.StringType, false)
                    .add(TrainingContract.STAGE, DataTypes.StringType, false)
                    .add(TrainingContract.SOURCE, DataTypes.StringType, false)
                    .add(TrainingContract.TASK_TYPE, DataTypes.StringType, false)
                    .add(TrainingContract.INSTRUCTION, DataTypes.StringType, false)
                    .add(TrainingContract.QUERY, DataTypes.StringType, false)
                    .add(TrainingContract.QUERY_TEXT, DataTypes.StringType, false)
                    .add(TrainingContract.POSITIVE, DataTypes.StringType, false)
                    .add(
                            TrainingContract.NEGATIVES,
                            DataTypes.createArrayType(DataTypes.StringType, false),
                            false)
                    .add(
                            TrainingContract.NEGATIVE_SCORES,
                            DataTypes.createArrayType(DataTypes.DoubleType, true),
                            false)
                    .add(TrainingContract.NEGATIVE_MINER, DataTypes.StringType, false)
                    .add(TrainingContract.DOCUMENT_INSTRUCTION, DataTypes.StringType, true)
                    .add(TrainingContract.IN_BATCH_NEGATIVES, DataTypes.BooleanType, false)
                    .add(TrainingContract.BATCH_INDEX, DataTypes.LongType, false);
}
