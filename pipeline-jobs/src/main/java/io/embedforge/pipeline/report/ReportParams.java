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
 * @param rejectShare a stage's rejects of one reason are a finding above this share of the rows the
 *     blend read, in [0, 1] (default {@value #REJECT_SHARE_DEFAULT}); decontamination drops always
 *     are
 * @param shortPositiveChars a retrieval source whose median positive is shorter (characters) is a
 *     finding: its "documents" are not documents (default {@value #SHORT_POSITIVE_CHARS_DEFAULT})
 * @param maxLabelImbalance a label set whose max/min examples per label after stratification is
 *     above this is a finding (default {@value #MAX_LABEL_IMBALANCE_DEFAULT})
 */
public record ReportParams(
        @JsonProperty(Settings.SEED) Long seed,
        @JsonProperty(SAMPLES_PER_SOURCE) Integer samplesPerSource,
        @JsonProperty(CHART_WIDTH) Integer chartWidth,
        @JsonProperty(REJECT_SHARE) Double rejectShare,
        @JsonProperty(SHORT_POSITIVE_CHARS) Integer shortPositiveChars,
        @JsonProperty(MAX_LABEL_IMBALANCE) Double maxLabelImbalance) {
    public static final String SAMPLES_PER_SOURCE = "samples_per_source";
    public static final int SAMPLES_PER_SOURCE_DEFAULT = 2;
    public static final String CHART_WIDTH = "chart_width";
    public static final int CHART_WIDTH_DEFAULT = 900;
    public static final String REJECT_SHARE = "reject_share";
    public static final double REJECT_SHARE_DEFAULT = 0.01;
    public static final String SHORT_POSITIVE_CHARS = "short_positive_chars";
    public static final int SHORT_POSITIVE_CHARS_DEFAULT = 30;
    public static final String MAX_LABEL_IMBALANCE = "max_label_imbalance";
    public static final double MAX_LABEL_IMBALANCE_DEFAULT = 2.0;

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
        rejectShare =
                CHECK.inRange(
                        REJECT_SHARE, requireNonNullElse(rejectShare, REJECT_SHARE_DEFAULT), 0, 1);
        shortPositiveChars =
                (int)
                        CHECK.inRange(
                                SHORT_POSITIVE_CHARS,
                                requireNonNullElse(
                                        shortPositiveChars, SHORT_POSITIVE_CHARS_DEFAULT),
                                0,
                                100_000);
        maxLabelImbalance = requireNonNullElse(maxLabelImbalance, MAX_LABEL_IMBALANCE_DEFAULT);
        CHECK.that(maxLabelImbalance >= 1, MAX_LABEL_IMBALANCE, maxLabelImbalance, "must be >= 1");
    }

    /** Every setting at its default. */
    public static ReportParams defaults() {
        return Settings.defaults(ReportParams.class);
    }
}
