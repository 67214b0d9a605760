package io.embedforge.pipeline.stage;

import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.schema.StageResult;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * One pipeline stage: thin I/O around a pure transformation. {@link #run} reads the committed
 * outputs of the stages it {@linkplain StageId#reads() reads} and writes its own output through the
 * {@link StageContext} (which owns every path), and returns a typed {@link StageResult} for the
 * manifest. The runner (package {@code run}) decides whether it runs, gives it a temporary output
 * folder and commits it; a stage never builds a path, never reads a stage it does not declare and
 * never imports another stage's package.
 *
 * <p>Settings: {@link #params(PipelineConfig)} binds {@code stages.<name>} of the profile to {@link
 * #paramsType()} with {@link Settings} (the one binder: full-key messages, the profile's seed for a
 * {@code seed} the stage does not set). A stage that needs more of the profile than its own block
 * (ingest: the sources) reads it from {@link StageContext#config()}, and names it in {@link
 * #inputs} so that it is part of the fingerprint. Implementations are stateless and run on the
 * driver; what they ship to executors is their params and closures.
 *
 * @param <P> the settings record ({@link NoParams} when there are none)
 */
public interface Stage<P> {
    /** Which stage of the registry this is. */
    StageId id();

    /** The type of its settings record (bound from {@code stages.<name>}). */
    Class<P> paramsType();

    /** Every setting at its default. */
    default P defaults() {
        return Settings.defaults(paramsType());
    }

    /** Its settings from the profile, validated (a {@code ConfigException} names file and key). */
    default P params(PipelineConfig config) {
        return Settings.bind(config, id(), paramsType());
    }

    /**
     * What it reads besides the outputs of {@link StageId#reads()} and its params: raw files
     * (listed with sizes and content hashes, hashed into its fingerprint) and values of the profile
     * outside {@code stages.<name>}. None by default.
     */
    default Inputs inputs(PipelineConfig config, P params) {
        return Inputs.NONE;
    }

    /**
     * Checks, before Spark starts, what would otherwise fail only once the stage ran: that every
     * file it reads exists, that headers parse (ingest), that a model path is there (mine-dense).
     * Called by the plan for every stage that will run; a problem is a {@code ConfigException} (one
     * line, exit code 2, nothing written). Reads metadata and first lines only.
     */
    default void check(PipelineConfig config, P params, Configuration hadoop) {}

    /** Runs the stage; its output goes under {@link StageContext#output()}. */
    StageResult run(StageContext ctx, P params) throws Exception;

    /**
     * Inputs of a stage beyond its upstream outputs.
     *
     * @param files raw input paths or globs (folders are listed recursively)
     * @param profile values of the profile the stage reads (serialised to JSON), or null
     */
    record Inputs(List<String> files, Object profile) {
        public static final Inputs NONE = new Inputs(List.of(), null);

        public Inputs {
            files = List.copyOf(files);
        }
    }
}
