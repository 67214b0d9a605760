package io.embedforge.pipeline.schema;

/**
 * What a stage reports about its run: a typed record (counts per source and reason, histograms),
 * serialised with snake_case keys as the {@code result} of its section in the manifests. A contract
 * like the tables beside it: users read it, and the report reads the results of earlier stages
 * ({@link BlendSummary}, {@link LabelSummary}). Built on the driver from small aggregates; never
 * holds rows.
 */
public interface StageResult {}
