package io.embedforge.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PeakMemoryTest {
    @Test
    void seesAnAllocationMadeAfterTheReset() {
        PeakMemory memory = PeakMemory.start();
        long before = memory.read().heapPeakMb();
        byte[][] blocks = new byte[64][];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new byte[1 << 20];
            blocks[i][i] = 1;
        }
        PeakMemory.Reading after = memory.read();
        assertTrue(
                after.heapPeakMb() >= before + 32,
                "heap peak "
                        + after.heapPeakMb()
                        + " MB after 64 MB allocated, "
                        + before
                        + " before");
        assertTrue(blocks[63][63] == 1);
        assumeTrue(Files.isWritable(Path.of("/proc/self/clear_refs")), "not Linux");
        assertNotNull(after.rssPeakMb());
        assertTrue(after.rssPeakMb() > 0);
    }
}
