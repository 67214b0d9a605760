package io.embedforge.pipeline.ingest;

import java.io.Serializable;
import org.apache.spark.sql.Row;

/**
 * What validation made of one record (or of one of its positives, when a record holds several): a
 * row of the role's schema with its position, or a reject row. {@code kind} names that schema
 * ({@link IngestSchemas#kind}); {@code first} marks the first outcome of each record, so that
 * records read can be counted from the outcomes alone.
 */
public record Outcome(String source, String role, String kind, boolean first, Row row, Row reject)
        implements Serializable {
    public boolean ok() {
        return row != null;
    }
}
