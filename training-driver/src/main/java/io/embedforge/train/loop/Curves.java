package io.embedforge.train.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG curves of loss and learning rate of one stage, drawn from {@code metrics.jsonl} (the last
 * line per global step wins, so steps repeated after a resume are drawn once).
 */
public final class Curves {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Curves() {}

    /**
     * Writes {@code loss-stage<N>.png} and {@code lr-stage<N>.png} into {@code dir}.
     *
     * @throws IOException if the metrics cannot be read or a PNG written
     */
    public static void write(Path metrics, int stage, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<Long, JsonNode> rows = new TreeMap<>();
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = JSON.readTree(line);
            if (n.path("stage").asInt() == stage) {
                rows.put(n.path("step").asLong(), n);
            }
        }
        XYSeries loss = new XYSeries("loss");
        XYSeries lr = new XYSeries("learning rate");
        rows.forEach(
                (step, n) -> {
                    loss.add(step.doubleValue(), n.path("loss").asDouble());
                    lr.add(step.doubleValue(), n.path("lr").asDouble());
                });
        save(loss, "Stage " + stage + " loss", "loss", dir.resolve("loss-stage" + stage + ".png"));
        save(
                lr,
                "Stage " + stage + " learning rate",
                "lr",
                dir.resolve("lr-stage" + stage + ".png"));
    }

    private static void save(XYSeries s, String title, String y, Path file) throws IOException {
        JFreeChart chart =
                ChartFactory.createXYLineChart(
                        title,
                        "step",
                        y,
                        new XYSeriesCollection(s),
                        PlotOrientation.VERTICAL,
                        false,
                        false,
                        false);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 800, 400);
    }
}
