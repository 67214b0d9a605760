package io.embedforge.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code encoder.precision}: allowed values, where the int8 graph is looked for, the error naming
 * the script when it is missing, fingerprints, and (when scripts/quantize_encoder.py has written
 * the embedded E5's int8 graph into the model cache) that int8 really loads another graph whose
 * vectors stay close to fp32's.
 */
class EncoderPrecisionTest {
    @TempDir Path dir;

    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void onlyFp32AndInt8AreAllowed() {
        assertEquals("fp32", EncoderConfig.defaults().precision());
        assertFalse(EncoderConfig.defaults().isInt8());
        assertTrue(EncoderConfig.defaults().withPrecision("int8").isInt8());
        assertEquals(
                "encoder.precision=int4 must be one of [fp32, int8]",
                error(() -> EncoderConfig.defaults().withPrecision("int4")));
        assertEquals(
                "encoder.precision=INT8 must be one of [fp32, int8]",
                error(() -> EncoderConfig.defaults().withPrecision("INT8")));
    }

    @Test
    void int8NeedsAnOnnxModel() {
        EncoderConfig torch =
                new EncoderConfig(
                        dir.resolve("model.pt").toString(),
                        ModelFormat.TORCHSCRIPT,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null);
        assertEquals(
                "encoder.precision=int8 needs an ONNX model (encoder.format is torchscript);"
                        + " allowed: fp32",
                error(() -> torch.withPrecision("int8")));
        assertEquals(
                "encoder.precision=int8 needs an fp32 ONNX model (a .onnx file); model.pt is not"
                        + " one",
                error(() -> EncoderPrecision.int8File(Path.of("model.pt"))));
        assertEquals(
                "encoder.precision=int8 needs an fp32 ONNX model (a .onnx file); m.int8.onnx is"
                        + " not one",
                error(() -> EncoderPrecision.int8Name("m.int8.onnx")));
        assertEquals(
                Path.of("/m/onnx/model.int8.onnx"),
                EncoderPrecision.int8File(Path.of("/m/onnx/model.onnx")));
    }

    @Test
    void aMissingInt8GraphNamesTheScript() throws Exception {
        Path model = Files.writeString(dir.resolve("model.onnx"), "not loaded");
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        EncoderConfig cfg =
                EncoderConfig.defaults().withModelPath(model.toString()).withPrecision("int8");
        String msg = error(() -> load(cfg));
        assertEquals(
                "encoder.precision=int8 needs "
                        + dir.resolve("model.int8.onnx")
                        + ", which does not exist; write it with `python3"
                        + " scripts/quantize_encoder.py --onnx "
                        + model
                        + "` (pip install -r scripts/quantize-requirements.txt)",
                msg);
    }

    private static void load(EncoderConfig cfg) {
        try (TextEncoder e = TextEncoder.load(cfg)) {
            e.dimension();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void fp32KeepsItsFingerprintAndSerialisedFormInt8ChangesBoth() {
        EncoderConfig fp32 = EncoderConfig.defaults();
        EncoderConfig int8 = fp32.withPrecision("int8");
        assertEquals(fp32.fingerprint(), fp32.withPrecision("fp32").fingerprint());
        assertNotEquals(fp32.fingerprint(), int8.fingerprint());
        ObjectMapper json = new ObjectMapper();
        assertFalse(json.valueToTree(fp32).has("precision"), "fp32 is left out of the settings");
        assertEquals("int8", json.valueToTree(int8).get("precision").asText());
    }

    @Test
    void embeddedInt8LoadsAnotherGraphWithCloseVectors() throws Exception {
        assumeTrue(
                Files.isRegularFile(EncoderPrecision.embeddedInt8File()),
                "no " + EncoderPrecision.embeddedInt8File() + "; run scripts/quantize_encoder.py");
        List<String> texts =
                List.of(
                        "A man is playing a guitar on stage.",
                        "The central bank raised interest rates by half a point.",
                        "Two dogs run through the snow.");
        float[][] f;
        float[][] q;
        try (TextEncoder fp = TextEncoder.load(EncoderConfig.defaults());
                TextEncoder i8 = TextEncoder.load(EncoderConfig.defaults().withPrecision("int8"))) {
            f = fp.encodePassages(texts);
            q = i8.encodePassages(texts);
        }
        double maxDiff = 0;
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(384, q[i].length);
            assertEquals(1.0, Math.sqrt(TextEncoderTest.dot(q[i], q[i])), 1e-5);
            assertTrue(
                    TextEncoderTest.dot(f[i], q[i]) > 0.97,
                    "text " + i + ": cosine " + TextEncoderTest.dot(f[i], q[i]));
            for (int k = 0; k < q[i].length; k++) {
                maxDiff = Math.max(maxDiff, Math.abs(f[i][k] - q[i][k]));
            }
        }
        assertTrue(
                maxDiff > 1e-4, "int8 vectors equal fp32's (max diff " + maxDiff + "): fp32 ran");
    }
}
