package io.embedforge.pipeline.report;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Settings of {@code report} ({@code stages.report}).
 *
 * @param seed seed of the sampled examples (default: the profile's)
 * @param samplesPerSource examples shown per source, in [0, 20]
 * @param chartWidth width of each PNG chart in pixels, in [200, 4000]
 */
public record ReportParams(long seed, int samplesPerSource, int chartWidth) {
    public static final int SAMPLES_PER_SOURCE_DEFAULT = 2;
    public static final int CHART_WIDTH_DEFAULT = 900;

    public ReportParams {
        if (samplesPerSource < 0 || samplesPerSource > 20) {
            throw new IllegalArgumentException(
                    "report.samples_per_source=" + samplesPerSource + " must be in [0, 20]");
        }
        if (chartWidth < 200 || chartWidth > 4000) {
            throw new IllegalArgumentException(
                    "report.chart_width=" + chartWidth + " must be in [200, 4000]");
        }
    }

    /** Binds a YAML/JSON object; absent keys take their defaults. */
    @JsonCreator
    public static ReportParams fromConfig(
            @JsonProperty("seed") Long seed,
            @JsonProperty("samples_per_source") Integer samplesPerSource,
            @JsonProperty("chart_width") Integer chartWidth) {
        return new ReportParams(
                seed != null ? seed : 42L,
                samplesPerSource != null ? samplesPerSource : SAMPLES_PER_SOURCE_DEFAULT,
                chartWidth != null ? chartWidth : CHART_WIDTH_DEFAULT);
    }
}
