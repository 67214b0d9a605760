package io.embedforge.pipeline.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** One colour per meaning: a series is drawn in its meaning's colour whatever its position. */
class ChartsTest {
    private static long pixels(byte[] png, Color c) throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                n += (img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff) ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void aMeaningHasOneColourInEveryChart() throws Exception {
        Map<String, Map<String, Long>> first = new LinkedHashMap<>();
        first.put(Charts.POSITIVE, Map.of("1", 5L));
        first.put(Charts.NEGATIVE, Map.of("1", 3L));
        Map<String, Map<String, Long>> second = new LinkedHashMap<>();
        second.put(Charts.NEGATIVE, Map.of("1", 3L));
        second.put(Charts.POSITIVE, Map.of("1", 5L));
        Color positive = Charts.COLOURS.get(Charts.POSITIVE);
        Color negative = Charts.COLOURS.get(Charts.NEGATIVE);
        for (Map<String, Map<String, Long>> series : java.util.List.of(first, second)) {
            byte[] png = Charts.bars("t", "x", "y", series, 400, false);
            assertTrue(pixels(png, positive) > 100, "positive bar drawn in its colour");
            assertTrue(pixels(png, negative) > 100, "negative bar drawn in its colour");
        }
        byte[] alone =
                Charts.bars("t", "x", "y", Map.of(Charts.NEGATIVE, Map.of("1", 1L)), 400, false);
        assertEquals(0, pixels(alone, positive));
        assertEquals("#2ca02c", Charts.css(Charts.POSITIVE));
    }

    @Test
    void aSeriesWithoutAMeaningIsRefused() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.bars("t", "x", "y", Map.of("x", Map.of("1", 1L)), 400, false));
        assertTrue(e.getMessage().contains("'x' has no colour"), e.getMessage());
    }
}
