package io.embedforge.encoder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code encoder.precision} setting. {@code fp32} runs the ONNX graph as given; {@code int8}
 * runs its dynamic-int8 copy ({@code <name>.onnx} -> {@code <name>.int8.onnx} in the same folder),
 * which {@value #SCRIPT} writes with ONNX Runtime's {@code quantize_dynamic}.
 *
 * <p>The int8 file is never made at run time: quantizing is a one-off step with its own toolchain
 * (Python onnxruntime), and a run asked for int8 must fail with a message saying how to make it
 * rather than fall back to fp32 and mine other negatives than the config says.
 */
public final class EncoderPrecision {
    /** Full precision: the model as given (the default). */
    public static final String FP32 = "fp32";

    /** Dynamic int8: int8 weights, uint8 activations quantized per batch. */
    public static final String INT8 = "int8";

    /** Allowed values of {@code encoder.precision}. */
    public static final List<String> VALUES = List.of(FP32, INT8);

    /** The script that writes the int8 graph. */
    public static final String SCRIPT = "scripts/quantize_encoder.py";

    /** What {@value #SCRIPT} calls the embedded E5-small-v2. */
    static final String E5_SCRIPT_NAME = "e5-small-v2";

    private static final String ONNX = ".onnx";
    private static final String INT8_ONNX = ".int8.onnx";

    private EncoderPrecision() {}

    /**
     * Where the int8 copy of an fp32 ONNX graph lives: same folder, {@code .onnx} replaced by
     * {@code .int8.onnx} (the rule {@value #SCRIPT} follows).
     *
     * @throws IllegalArgumentException when {@code fp32} is not an {@code .onnx} file
     */
    public static Path int8File(Path fp32) {
        return fp32.resolveSibling(int8Name(fp32.getFileName().toString()));
    }

    /**
     * {@link #int8File} on a name or path as text (a Hadoop path of the stage's check).
     *
     * @throws IllegalArgumentException when {@code fp32} does not end in {@code .onnx}
     */
    public static String int8Name(String fp32) {
        if (!fp32.endsWith(ONNX) || fp32.endsWith(INT8_ONNX)) {
            throw new IllegalArgumentException(
                    "encoder.precision=int8 needs an fp32 ONNX model (a .onnx file); "
                            + fp32
                            + " is not one");
        }
        return fp32.substring(0, fp32.length() - ONNX.length()) + INT8_ONNX;
    }

    /**
     * The int8 graph of the embedded E5-small-v2 in the model cache; computable on the driver
     * before the fp32 graph has been extracted there.
     */
    public static Path embeddedInt8File() {
        return int8File(
                EmbeddedModels.cacheDir().resolve(EmbeddedModels.E5_DIR).resolve("model.onnx"));
    }

    /**
     * The file to load for {@code precision}: {@code fp32} itself, or its int8 copy, which must
     * exist.
     *
     * @param embedded whether {@code fp32} is the embedded E5 (names the script's argument)
     * @throws IllegalArgumentException when the int8 copy is missing, naming the script to run
     */
    static Path select(Path fp32, String precision, boolean embedded) {
        if (!INT8.equals(precision)) {
            return fp32;
        }
        Path int8 = int8File(fp32);
        if (!Files.isRegularFile(int8)) {
            throw new IllegalArgumentException(
                    missing(int8.toString(), embedded ? null : fp32.toString()));
        }
        return int8;
    }

    /**
     * The error of a missing int8 graph: which file, and the command that writes it.
     *
     * @param fp32 the fp32 graph given as {@code encoder.model_path}; null for the embedded E5
     */
    public static String missing(String int8, String fp32) {
        String args = fp32 == null ? E5_SCRIPT_NAME : "--onnx " + fp32;
        return "encoder.precision=int8 needs "
                + int8
                + ", which does not exist; write it with `python3 "
                + SCRIPT
                + " "
                + args
                + "` (pip install -r scripts/quantize-requirements.txt)";
    }
}
