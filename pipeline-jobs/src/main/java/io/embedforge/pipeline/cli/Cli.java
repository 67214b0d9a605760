package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;

/** Helpers shared by the subcommands. */
final class Cli {
    private Cli() {}

    /** Loads the profile with the command line's overrides; a bad config never reaches Spark. */
    static PipelineConfig loadConfig(CommonOptions common) {
        return ConfigLoader.load(
                common.conf, new ConfigLoader.Overrides(common.seed, common.variables));
    }
}
