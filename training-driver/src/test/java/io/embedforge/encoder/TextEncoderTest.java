package io.embedforge.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded E5-small-v2 through DJL: known properties of its vectors and clear errors. */
class TextEncoderTest {
    private static TextEncoder encoder;

    @BeforeAll
    static void load() throws Exception {
        encoder = TextEncoder.load(EncoderConfig.defaults().withBatchSize(3));
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    /** Inner product (cosine of normalised vectors). */
    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void vectorsAreNormalisedWith384Dimensions() {
        float[][] v =
                encoder.encodePassages(List.of("A cat sits on the mat.", "Stock prices fell."));
        assertEquals(2, v.length);
        for (float[] x : v) {
            assertEquals(384, x.length);
            assertEquals(1.0, Math.sqrt(dot(x, x)), 1e-5);
        }
        assertEquals(384, encoder.dimension());
    }

    @Test
    void paraphraseScoresAboveUnrelatedText() {
        float[][] q = encoder.encodeQueries(List.of("how do I bake bread at home"));
        float[][] p =
                encoder.encodePassages(
                        List.of(
                                "A simple recipe for baking your own loaf of bread in a home oven.",
                                "The central bank raised interest rates by half a point."));
        assertTrue(
                dot(q[0], p[0]) > dot(q[0], p[1]) + 0.05,
                "related " + dot(q[0], p[0]) + " vs unrelated " + dot(q[0], p[1]));
    }

    @Test
    void lengthSortedBatchesKeepInputOrderAndMatchSingleTexts() {
        List<String> texts =
                List.of(
                        "short",
                        "a much longer text about the history of the Roman empire and its roads",
                        "medium length sentence here",
                        "x",
                        "another fairly long sentence that needs several word pieces to encode");
        float[][] batched = encoder.encodePassages(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] single = encoder.encodePassages(List.of(texts.get(i)))[0];
            for (int k = 0; k < single.length; k++) {
                assertEquals(single[k], batched[i][k], 1e-4, "text " + i + " dim " + k);
            }
        }
    }

    @Test
    void concurrentPassesOnOneThreadEachMatchOnePassOverEveryCore() throws Exception {
        List<String> texts =
                List.of(
                        "A cat sits on the mat.",
                        "Stock prices fell sharply after the announcement.",
                        "how do I bake bread at home",
                        "The river flooded the valley in the spring of 1927.",
                        "short");
        float[][] expected = encoder.encodePassages(texts);
        try (TextEncoder oneThread =
                TextEncoder.load(EncoderConfig.defaults().withBatchSize(2).withIntraOpThreads(1))) {
            List<Callable<float[][]>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(() -> oneThread.encodePassages(texts));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                for (Future<float[][]> f : pool.invokeAll(calls)) {
                    float[][] got = f.get();
                    for (int i = 0; i < texts.size(); i++) {
                        for (int k = 0; k < got[i].length; k++) {
                            assertEquals(
                                    expected[i][k], got[i][k], 1e-4, "text " + i + " dim " + k);
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void forwardSlotsFillTheCoresAtTheConfiguredThreadsPerPass() {
        int cores = Runtime.getRuntime().availableProcessors();
        EncoderConfig d = EncoderConfig.defaults();
        assertEquals(1, TextEncoder.forwardSlots(d));
        assertEquals(cores, TextEncoder.forwardSlots(d.withIntraOpThreads(1)));
        assertEquals(1, TextEncoder.forwardSlots(d.withIntraOpThreads(cores + 1)));
    }

    @Test
    void missingModelPathIsNamed(@TempDir Path dir) {
        String missing = dir.resolve("nope.onnx").toString();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TextEncoder.load(EncoderConfig.defaults().withModelPath(missing)));
        assertTrue(e.getMessage().contains("encoder.model_path=" + missing), e.getMessage());
    }

    @Test
    void wrongOutputDimensionIsNamed() throws Exception {
        try (TextEncoder wrong = TextEncoder.load(EncoderConfig.defaults().withDimension(768))) {
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> wrong.encodePassages(List.of("hello")));
            assertTrue(
                    e.getMessage().contains("dimension 384 but encoder.dimension=768"),
                    e.getMessage());
        }
    }

    @Test
    void badConfigValuesAreNamed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new EncoderConfig(
                                        null, null, null, null, null, 1, null, null, null, null,
                                        null, null));
        assertEquals("encoder.max_length=1 must be in [2, 32768]", e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> EncoderConfig.defaults().withBatchSize(0));
        assertEquals("encoder.batch_size=0 must be in [1, 4096]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Pooling.of("max"));
        assertEquals("encoder.pooling=max must be one of [mean, cls, last_token]", e.getMessage());
    }

    @Test
    void fingerprintIgnoresBatchingButNotPrefixes() {
        EncoderConfig d = EncoderConfig.defaults();
        assertEquals(d.fingerprint(), d.withBatchSize(7).withIntraOpThreads(1).fingerprint());
        EncoderConfig other =
                new EncoderConfig(
                        null, null, null, null, null, null, "q: ", null, null, null, null, null);
        assertTrue(!d.fingerprint().equals(other.fingerprint()));
    }
}
