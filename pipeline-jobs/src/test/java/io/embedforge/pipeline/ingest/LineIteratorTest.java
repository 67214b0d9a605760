package io.embedforge.pipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineIteratorTest {
    private static final Configuration CONF = new Configuration();

    @TempDir Path dir;

    @Test
    void everyLineIsReadExactlyOnceWhateverTheRanges() throws IOException {
        Random random = new Random(7);
        StringBuilder text = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String line = "line-" + i + "-" + "x".repeat(random.nextInt(40));
            expected.add(line);
            text.append(line).append(i % 7 == 0 ? "\r\n" : "\n");
            if (i % 50 == 0) {
                text.append("\n   \n");
            }
        }
        Path file = dir.resolve("lines.txt");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        long size = Files.size(file);
        for (long split : new long[] {1, 7, 64, 1000, size, size + 10}) {
            List<String> read = new ArrayList<>();
            for (long start = 0; start < size; start += split) {
                FileUnit unit =
                        new FileUnit(file.toUri().toString(), start, Math.min(size, start + split));
                try (LineIterator it = new LineIterator(unit, CONF)) {
                    it.forEachRemaining(l -> read.add(l.text()));
                }
            }
            assertEquals(expected, read, "split size " + split);
        }
    }

    @Test
    void wholeFilesGiveLineNumbersAndRangesGiveOffsets() throws IOException {
        Path file = dir.resolve("n.txt");
        Files.writeString(file, "a\n\nb\nc\n", StandardCharsets.UTF_8);
        List<LineIterator.Line> whole = new ArrayList<>();
        try (LineIterator it =
                new LineIterator(new FileUnit(file.toUri().toString(), 0, Long.MAX_VALUE), CONF)) {
            it.forEachRemaining(whole::add);
        }
        assertEquals(List.of(1L, 3L, 4L), whole.stream().map(LineIterator.Line::position).toList());
        assertTrue(whole.get(0).lineNumbered());
        List<LineIterator.Line> range = new ArrayList<>();
        try (LineIterator it =
                new LineIterator(new FileUnit(file.toUri().toString(), 0, 7), CONF)) {
            it.forEachRemaining(range::add);
        }
        assertEquals(List.of(0L, 3L, 5L), range.stream().map(LineIterator.Line::position).toList());
        assertFalse(range.get(0).lineNumbered());
    }

    @Test
    void invalidUtf8IsMarkedPerLineAndByteOrderMarkDropped() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        bytes.write("caf\u00e9\n".getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {'b', 'a', 'd', (byte) 0xFF, (byte) 0xFE, '\n'});
        bytes.write("ok\n".getBytes(StandardCharsets.UTF_8));
        Path file = dir.resolve("u.txt");
        Files.write(file, bytes.toByteArray());
        List<String> lines = new ArrayList<>();
        try (LineIterator it =
                new LineIterator(new FileUnit(file.toUri().toString(), 0, Long.MAX_VALUE), CONF)) {
            it.forEachRemaining(l -> lines.add(l.text()));
        }
        assertEquals("caf\u00e9", lines.get(0));
        assertTrue(Utf8.hasInvalid(lines.get(1)));
        assertFalse(Utf8.hasInvalid(lines.get(2)));
        assertEquals("bad\uFFFD\uFFFD", Utf8.display(lines.get(1)));
    }
}
