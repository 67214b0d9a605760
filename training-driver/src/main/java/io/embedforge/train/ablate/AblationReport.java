package io.embedforge.train.ablate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.PoolingMode;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The ablation's outputs: {@code ablation.json} (settings, per variant scores, timings, errors, and
 * whether the paper's orderings hold), {@code ablation.md} (one row per variant, the main metric of
 * every set and their mean; scores only, so the same seed gives the same file) and {@code
 * ablation.png} (grouped bars). The "mean" column is the unweighted mean of the sets' main metrics,
 * the figure the orderings compare, as NV-Embed compares MTEB averages.
 */
public final class AblationReport {

    /** File names in the output folder. */
    public static final String JSON = "ablation.json";

    public static final String MARKDOWN = "ablation.md";
    public static final String CHART = "ablation.png";

    /** A set of the table and the metric shown for it (its kind's main metric). */
    public record SetColumn(String name, String metric) {}

    /** One of the paper's claims checked on the results: {@code better} beat {@code worse}. */
    public record Ordering(String claim, String better, String worse, Boolean holds) {}

    /**
     * Colour of each variant: one hue per pooling head, dark for bidirectional and light for
     * causal, so the two masks of a pooling sit side by side in one hue.
     */
    static final Map<String, Color> COLOURS =
            Map.of(
                    "bidirectional-latent", new Color(0x1f77b4),
                    "causal-latent", new Color(0xaec7e8),
                    "bidirectional-mean", new Color(0x2ca02c),
                    "causal-mean", new Color(0x98df8a),
                    "bidirectional-eos", new Color(0xd62728),
                    "causal-eos", new Color(0xff9896));

    private AblationReport() {}

    /** Mean of the main metrics over the sets, if the variant has all of them. */
    static Optional<Double> mean(VariantResult r, List<SetColumn> sets) {
        if (!r.ok() || sets.isEmpty()) {
            return Optional.empty();
        }
        double s = 0;
        for (SetColumn c : sets) {
            s += r.scores().get(c.name()).get(c.metric());
        }
        return Optional.of(s / sets.size());
    }

    /**
     * The paper's orderings on the mean column: bidirectional above causal for every pooling head,
     * and latent above mean above EOS under every mask. {@code holds} is null when a side failed or
     * is not in the grid.
     */
    public static List<Ordering> orderings(List<VariantResult> results, List<SetColumn> sets) {
        List<Ordering> out = new ArrayList<>();
        for (PoolingMode p : PoolingMode.values()) {
            out.add(
                    compare(
                            results,
                            sets,
                            new ModelVariant(AttentionMaskMode.BIDIRECTIONAL, p),
                            new ModelVariant(AttentionMaskMode.CAUSAL, p)));
        }
        PoolingMode[] order = {
            PoolingMode.LATENT_ATTENTION, PoolingMode.MEAN, PoolingMode.LAST_TOKEN
        };
        for (AttentionMaskMode m : AttentionMaskMode.values()) {
            for (int i = 0; i + 1 < order.length; i++) {
                out.add(
                        compare(
                                results,
                                sets,
                                new ModelVariant(m, order[i]),
                                new ModelVariant(m, order[i + 1])));
            }
        }
        return out;
    }

    private static Ordering compare(
            List<VariantResult> results, List<SetColumn> sets, ModelVariant a, ModelVariant b) {
        Optional<Double> x = find(results, a).flatMap(r -> mean(r, sets));
        Optional<Double> y = find(results, b).flatMap(r -> mean(r, sets));
        String claim = a.name() + " > " + b.name();
        Boolean holds = x.isPresent() && y.isPresent() ? x.get() > y.get() : null;
        return new Ordering(claim, a.name(), b.name(), holds);
    }

    private static Optional<VariantResult> find(List<VariantResult> results, ModelVariant v) {
        return results.stream().filter(r -> r.variant().equals(v)).findFirst();
    }

    /** The Markdown table and the orderings (no timings: deterministic for a seed). */
    public static String markdown(List<VariantResult> results, List<SetColumn> sets) {
        StringBuilder sb = new StringBuilder("| variant | mask | pooling |");
        StringBuilder rule = new StringBuilder("| --- | --- | --- |");
        for (SetColumn c : sets) {
            sb.append(' ').append(c.name()).append(" (").append(c.metric()).append(") |");
            rule.append(" ---: |");
        }
        sb.append(" mean | status |\n").append(rule).append(" ---: | --- |\n");
        for (VariantResult r : results) {
            ModelVariant v = r.variant();
            sb.append("| ").append(v.name()).append(" | ").append(v.mask().key());
            sb.append(" | ").append(v.pooling().key()).append(" |");
            for (SetColumn c : sets) {
                sb.append(' ')
                        .append(r.ok() ? num(r.scores().get(c.name()).get(c.metric())) : "-")
                        .append(" |");
            }
            sb.append(' ').append(mean(r, sets).map(AblationReport::num).orElse("-"));
            sb.append(" | ").append(r.ok() ? "ok" : "failed: " + cell(r.error())).append(" |\n");
        }
        sb.append("\nPaper's orderings on the mean column:\n\n");
        for (Ordering o : orderings(results, sets)) {
            String verdict =
                    o.holds() == null ? "not measured" : o.holds() ? "holds" : "does not hold";
            sb.append("- ").append(o.claim()).append(": ").append(verdict).append('\n');
        }
        return sb.toString();
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace('\n', ' ');
    }

    /**
     * Writes the three files into {@code out}.
     *
     * @param header settings to record at the top of the JSON (configs, budget, seeds, grid)
     */
    public static void write(
            Path out, ObjectNode header, List<VariantResult> results, List<SetColumn> sets)
            throws IOException {
        Files.createDirectories(out);
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = header.deepCopy();
        ArrayNode vs = doc.putArray("variants");
        for (VariantResult r : results) {
            ObjectNode n = vs.addObject();
            n.put("variant", r.variant().name());
            n.put("mask", r.variant().mask().key());
            n.put("pooling", r.variant().pooling().key());
            n.put("status", r.ok() ? "ok" : "failed");
            if (!r.ok()) {
                n.put("error", r.error());
            }
            n.put("steps", r.steps());
            n.put("last_loss", r.lastLoss());
            n.put("train_seconds", r.trainSeconds());
            n.put("eval_seconds", r.evalSeconds());
            mean(r, sets).ifPresent(m -> n.put("mean", m));
            ObjectNode per = n.putObject("sets");
            r.scores().forEach((set, m) -> m.forEach(per.putObject(set)::put));
        }
        ArrayNode ord = doc.putArray("orderings");
        for (Ordering o : orderings(results, sets)) {
            ObjectNode n = ord.addObject().put("claim", o.claim());
            if (o.holds() == null) {
                n.putNull("holds");
            } else {
                n.put("holds", o.holds());
            }
        }
        Files.writeString(
                out.resolve(JSON),
                json.writerWithDefaultPrettyPrinter().writeValueAsString(doc),
                StandardCharsets.UTF_8);
        Files.writeString(out.resolve(MARKDOWN), markdown(results, sets), StandardCharsets.UTF_8);
        chart(results, sets, out.resolve(CHART));
    }

    /** Grouped bars: one group per set (and the mean), one bar per variant that finished. */
    static void chart(List<VariantResult> results, List<SetColumn> sets, Path png)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        List<String> drawn = new ArrayList<>();
        for (VariantResult r : results) {
            if (!r.ok()) {
                continue;
            }
            drawn.add(r.variant().name());
            for (SetColumn c : sets) {
                data.addValue(
                        r.scores().get(c.name()).get(c.metric()), r.variant().name(), c.name());
            }
            data.addValue(mean(r, sets).orElseThrow(), r.variant().name(), "mean");
        }
        JFreeChart chart =
                ChartFactory.createBarChart(
                        "Ablation: attention mask x pooling (main metric per set)",
                        "set",
                        "score",
                        data,
                        PlotOrientation.VERTICAL,
                        true,
                        false,
                        false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        BarRenderer bars = (BarRenderer) plot.getRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        for (int i = 0; i < drawn.size(); i++) {
            bars.setSeriesPaint(i, COLOURS.get(drawn.get(i)));
        }
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1100, 550);
    }
}
