package io.embedforge.pipeline.report;

import io.embedforge.contract.TrainingContract;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
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
 * Bar charts drawn with JFreeChart into PNG bytes (headless). Driver only: the data are small
 * aggregates.
 *
 * <p>Every series is named by its meaning, and {@link #COLOURS} gives each meaning one colour for
 * all charts (a positive is the same green in the length and in the score chart, stage 2 the same
 * in the rows and the batch-mixing chart); a series without a colour here is an error, so a new
 * chart has to say what its bars mean. Bars are flat (no gradient, no shadow) so the colour is
 * exactly the one defined.
 */
final class Charts {
    private Charts() {}

    static final String QUERY = "query";
    static final String POSITIVE = "positive";
    static final String NEGATIVE = "negative";
    static final String MARGIN = "margin";
    static final String BEFORE = "before";
    static final String AFTER = "after";
    static final String DROPPED = "dropped";

    /** One colour per meaning, for every chart (and the page's positive text). */
    static final Map<String, Color> COLOURS =
            Map.of(
                    QUERY,
                    new Color(0x1f77b4),
                    POSITIVE,
                    new Color(0x2ca02c),
                    NEGATIVE,
                    new Color(0xd62728),
                    MARGIN,
                    new Color(0x9467bd),
                    TrainingContract.STAGE1,
                    new Color(0xff7f0e),
                    TrainingContract.STAGE2,
                    new Color(0x17becf),
                    BEFORE,
                    new Color(0x7f7f7f),
                    AFTER,
                    new Color(0x8c564b),
                    DROPPED,
                    new Color(0x8b0000));

    /** The colour of a meaning, as CSS ({@code #rrggbb}). */
    static String css(String meaning) {
        Color c = colour(meaning);
        return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    private static Color colour(String meaning) {
        Color c = COLOURS.get(meaning);
        if (c == null) {
            throw new IllegalArgumentException(
                    "report chart series '"
                            + meaning
                            + "' has no colour; allowed: "
                            + new java.util.TreeSet<>(COLOURS.keySet())
                            + " (Charts.COLOURS)");
        }
        return c;
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /**
     * A grouped bar chart: {@code series -> category -> value}. Categories keep the order in which
     * the maps name them, except that numeric categories (histogram bins) are sorted by value, so
     * bins of several series interleave correctly.
     */
    static byte[] bars(
            String title,
            String categoryAxis,
            String valueAxis,
            Map<String, ? extends Map<String, ? extends Number>> series,
            int width,
            boolean horizontal) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        java.util.List<String> categories = new java.util.ArrayList<>();
        series.values()
                .forEach(
                        m ->
                                m.keySet()
                                        .forEach(
                                                c -> {
                                                    if (!categories.contains(c)) {
                                                        categories.add(c);
                                                    }
                                                }));
        if (categories.stream().allMatch(Charts::numeric)) {
            categories.sort(java.util.Comparator.comparingDouble(Double::parseDouble));
        }
        series.forEach(
                (s, m) -> {
                    for (String c : categories) {
                        data.addValue(m.get(c), s, c);
                    }
                });
        int columns = Math.max(1, data.getColumnCount());
        JFreeChart chart =
                ChartFactory.createBarChart(
                        title,
                        categoryAxis,
                        valueAxis,
                        data,
                        horizontal ? PlotOrientation.HORIZONTAL : PlotOrientation.VERTICAL,
                        series.size() > 1,
                        false,
                        false);
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(new Color(248, 248, 248));
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        for (Object s : data.getRowKeys()) {
            renderer.setSeriesPaint(data.getRowIndex((String) s), colour((String) s));
        }
        if (!horizontal) {
            plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        }
        int height =
                horizontal ? Math.max(300, 120 + columns * Math.max(1, series.size()) * 14) : 420;
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ChartUtils.writeChartAsPNG(out, chart, width, height);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot draw chart " + title, e);
        }
    }

    private static boolean numeric(String category) {
        try {
            Double.parseDouble(category);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
