package io.embedforge.pipeline.report;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.settings.Check;

/**
 * Settings of {@code report} ({@code stages.report}), bound by {@link Settings}.
 *
 * @param seed seed of the sampled examples (default: the profile's)
 * @param samplesPerSource examples shown per source, in [0, 20]
 * @param chartWidth width of each PNG chart in pixels, in [200, 4000]
 */
public record ReportParams(
        @JsonProperty(Settings.SEED) Long seed,
        @JsonProperty(SAMPLES_PER_SOURCE) Integer samplesPerSource,
        @JsonProperty(CHART_WIDTH) Integer chartWidth) {
    public static final String SAMPLES_PER_SOURCE = "samples_per_source";
    public static final int SAMPLES_PER_SOURCE_DEFAULT = 2;
    public static final String CHART_WIDTH = "chart_width";
    public static final int CHART_WIDTH_DEFAULT = 900;

    private static final Check CHECK = Check.under(StageId.REPORT.settingsKey());

    public ReportParams {
        seed = requireNonNullElse(seed, PipelineConfig.SEED_DEFAULT);
        samplesPerSource =
                (int)
                        CHECK.inRange(
                                SAMPLES_PER_SOURCE,
                                requireNonNullElse(samplesPerSource, SAMPLES_PER_SOURCE_DEFAULT),
                                0,
                                20);
        chartWidth =
                (int)
                        CHECK.inRange(
                                CHART_WIDTH,
                                requireNonNullElse(chartWidth, CHART_WIDTH_DEFAULT),
                                200,
                                4000);
    }

    /** Every setting at its default. */
    public static ReportParams defaults() {
        return Settings.defaults(ReportParams.class);
    }
}
