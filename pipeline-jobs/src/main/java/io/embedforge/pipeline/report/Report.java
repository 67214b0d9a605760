package io.embedforge.pipeline.report;

import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stage {@code report}: a static HTML page ({@code <out>/report/index.html}) with PNG charts beside
 * it, for deciding whether the blended data is fit to train on. {@link ReportData} collects the
 * numbers (from the run manifest and small Spark aggregates over the stage outputs), {@link
 * ReportPage} renders them. Runs on the driver; only aggregates and the sampled rows are collected.
 */
public final class Report implements Stage<ReportParams> {
    /** The page's file name under the stage's folder. */
    public static final String INDEX = ReportPage.INDEX;

    @Override
    public StageId id() {
        return StageId.REPORT;
    }

    @Override
    public Class<ReportParams> paramsType() {
        return ReportParams.class;
    }

    /**
     * With {@code train_config}: that file and the base model's tokenizer files it names, so an
     * edited training config or tokenizer re-runs the report. A config that cannot be read is left
     * to {@link #run}, which names it.
     */
    @Override
    public Inputs inputs(PipelineConfig config, ReportParams p) {
        return p.trainConfig() == null
                ? Inputs.NONE
                : new Inputs(TokenLengths.files(p.trainConfig()), null);
    }

    @Override
    public ReportSummary run(StageContext ctx, ReportParams p) {
        ReportData data = ReportData.collect(ctx, p);
        List<Findings.Finding> findings = Findings.of(data, p);
        List<String> charts = new ArrayList<>();
        for (Map.Entry<String, byte[]> f :
                ReportPage.render(data, findings, p.chartWidth()).entrySet()) {
            ctx.writeFile(f.getKey(), f.getValue());
            if (!f.getKey().equals(INDEX)) {
                charts.add(f.getKey());
            }
        }
        return new ReportSummary(
                StageContext.join(ctx.committed(), INDEX),
                charts,
                data.samples().size(),
                data.reasons(),
                findings.stream().map(Findings.Finding::line).toList(),
                data.comparison().now());
    }
}
