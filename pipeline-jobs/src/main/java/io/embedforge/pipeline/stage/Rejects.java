package io.embedforge.pipeline.stage;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.substring;

import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.RejectsTable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Reject rows of the Spark stages, built one way: the row's source and split, the stage, then what
 * the stage says about the record, in {@link RejectsTable#SCHEMA} order, with the raw excerpt cut
 * to {@link RejectsTable#RAW_EXCERPT_CHARS}. Runs where the plan runs (executors).
 */
public final class Rejects {
    private Rejects() {}

    /**
     * The reject rows of {@code bad} (which has the {@code source} and {@code split} columns).
     *
     * @param stage the stage rejecting them
     * @param input the input table or role the record came from
     * @param reason the reason code
     * @param location where the record was (table and id, file and line)
     * @param detail which field, which value, what was expected
     * @param raw the raw record text (cut here)
     */
    public static Dataset<Row> of(
            Dataset<Row> bad,
            StageId stage,
            Column input,
            Column reason,
            Column location,
            Column detail,
            Column raw) {
        return bad.select(
                col(Columns.SOURCE),
                col(Columns.SPLIT),
                lit(stage.id()).as(RejectsTable.STAGE),
                input.as(RejectsTable.INPUT),
                reason.as(RejectsTable.REASON),
                location.as(RejectsTable.LOCATION),
                detail.as(RejectsTable.DETAIL),
                substring(raw, 1, RejectsTable.RAW_EXCERPT_CHARS).as(RejectsTable.RAW));
    }
}
