package io.embedforge.pipeline.run;

import io.embedforge.pipeline.blend.Blend;
import io.embedforge.pipeline.bm25.MineBm25;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.decontam.Decontaminate;
import io.embedforge.pipeline.dense.DenseMiningJob;
import io.embedforge.pipeline.ingest.IngestJob;
import io.embedforge.pipeline.labels.LabelNegatives;
import io.embedforge.pipeline.report.Report;
import io.embedforge.pipeline.schema.StageResult;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;

/**
 * Binds every {@link StageId} to its implementation. The switch is exhaustive without a default, so
 * a new constant in the registry does not compile until its class is bound here; this is the only
 * place that knows every stage package. Driver only.
 */
public final class Stages {
    private Stages() {}

    /** The implementation of {@code id}. */
    public static Stage<?> of(StageId id) {
        return switch (id) {
            case INGEST -> new IngestJob();
            case DECONTAMINATE -> new Decontaminate();
            case MINE_DENSE -> new DenseMiningJob();
            case MINE_BM25 -> new MineBm25();
            case LABEL_NEGATIVES -> new LabelNegatives();
            case BLEND -> new Blend();
            case REPORT -> new Report();
        };
    }

    /** The stage of {@code id} with its settings bound from {@code config}. */
    public static Bound<?> bind(StageId id, PipelineConfig config) {
        return bind(of(id), config);
    }

    private static <P> Bound<P> bind(Stage<P> stage, PipelineConfig config) {
        return new Bound<>(stage, stage.params(config));
    }

    /**
     * A stage with its bound settings: the pair keeps their types together, so nothing is cast.
     *
     * @param stage the implementation
     * @param params its settings
     */
    public record Bound<P>(Stage<P> stage, P params) {
        /** What it reads besides its upstream outputs. */
        public Stage.Inputs inputs(PipelineConfig config) {
            return stage.inputs(config, params);
        }

        /** Its checks before Spark starts ({@link Stage#check}). */
        public void check(PipelineConfig config, org.apache.hadoop.conf.Configuration hadoop) {
            stage.check(config, params, hadoop);
        }

        /** Runs it. */
        public StageResult run(StageContext ctx) throws Exception {
            return stage.run(ctx, params);
        }
    }
}
