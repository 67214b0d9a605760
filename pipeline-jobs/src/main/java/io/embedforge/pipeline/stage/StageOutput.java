package io.embedforge.pipeline.stage;

import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.StageResult;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What a miner stage produces: examples in the {@link NegativesTable} schema, reject rows in the
 * {@link RejectsTable} schema, and its summary. The datasets are lazy plans; the summary runs a few
 * small aggregations (counts by reason, histograms) when asked, so it should be called after {@link
 * #write} when the inputs are cached.
 *
 * <p>Driver only.
 *
 * @param <S> the stage's typed summary
 */
public record StageOutput<S extends StageResult>(
        Dataset<Row> examples, Dataset<Row> rejects, Supplier<S> summary) {

    /** The progress step of a stage's summary aggregations. */
    public static final String SUMMARY = "summary";

    /** Writes examples and rejects as the stage's {@code examples} and {@code rejects} tables. */
    public void write(StageContext ctx) {
        ctx.write(NegativesTable.EXAMPLES_DIR, examples);
        ctx.write(RejectsTable.NAME, rejects);
    }

    /**
     * Writes the output with the examples cached (the summary reads them again) and returns the
     * summary: the thin I/O of every miner.
     */
    public S writeAndSummarise(StageContext ctx) {
        Dataset<Row> cached = examples.persist();
        try {
            new StageOutput<>(cached, rejects, summary).write(ctx);
            ctx.step(SUMMARY);
            return summary.get();
        } finally {
            cached.unpersist();
        }
    }
}
