package io.embedforge.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurvesTest {

    @TempDir Path dir;

    @Test
    void writesPngPerStage() throws IOException {
        Path m = dir.resolve("metrics.jsonl");
        Files.writeString(
                m,
                """
                {"stage":1,"step":1,"loss":2.0,"lr":0.1}
                {"stage":1,"step":2,"loss":1.5,"lr":0.2}
                {"stage":1,"step":2,"loss":1.5,"lr":0.2}
                {"stage":2,"step":1,"loss":0.7,"lr":0.1}
                """);
        Curves.write(m, 1, dir);
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        assertArrayEquals(
                png, Arrays.copyOf(Files.readAllBytes(dir.resolve("loss-stage1.png")), 4));
        assertArrayEquals(png, Arrays.copyOf(Files.readAllBytes(dir.resolve("lr-stage1.png")), 4));
    }
}
