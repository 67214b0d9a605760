package io.embedforge.pipeline.ingest;

import java.io.Serializable;
import org.apache.spark.sql.Row;

/**
 * What validation made of one record (or of one of its positives, when a record holds several): a
 * row of the role's schema with its position, or a reject row. {@code kind} names that schema
 * ({@link IngestSchemas#kind}); {@code first} marks the first outcome of each record, so that the
 * records readers emitted can be counted from the outcomes alone. A reader's tally becomes an
 * outcome with neither row nor reject that carries the physical records read ({@code read}); they
 * are counted apart from the emitted records, so the two can be reconciled.
 */
public record Outcome(
        String source, String role, String kind, long read, boolean first, Row row, Row reject)
        implements Serializable {
    public boolean ok() {
        return row != null;
    }

    public boolean rejected() {
        return reject != null;
    }

    /** Whether this outcome is a row or a reject (not a tally). */
    public boolean isRecord() {
        return row != null || reject != null;
    }
}
