package io.embedforge.pipeline.report;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Bar charts drawn with JFreeChart into PNG bytes (headless). Driver only: the data are small
 * aggregates.
 */
final class Charts {
    private Charts() {}

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
