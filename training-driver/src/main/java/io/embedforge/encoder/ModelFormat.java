package io.embedforge.encoder;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which DJL engine runs the encoder: ONNX models on OnnxRuntime, TorchScript models on PyTorch.
 * {@link #AUTO} decides from the file name ({@code .onnx} or {@code .pt}/{@code .torchscript}) or,
 * for a Hugging Face folder, from the files it holds.
 */
public enum ModelFormat {
    /** Detect from the file extension or the folder content. */
    AUTO,
    /** An ONNX graph, run by DJL's OnnxRuntime engine. */
    ONNX,
    /** A TorchScript module, run by DJL's PyTorch engine. */
    TORCHSCRIPT;

    /** The DJL engine name for this format (not for {@link #AUTO}). */
    public String engineName() {
        return switch (this) {
            case ONNX -> "OnnxRuntime";
            case TORCHSCRIPT -> "PyTorch";
            case AUTO -> throw new IllegalStateException("AUTO has no engine; resolve it first");
        };
    }

    /** Config spelling: {@code auto}, {@code onnx}, {@code torchscript}. */
    @JsonValue
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the config spelling, with an error naming the allowed values. */
    @JsonCreator
    public static ModelFormat of(String key) {
        for (ModelFormat f : values()) {
            if (f.key().equals(key)) {
                return f;
            }
        }
        throw new IllegalArgumentException(
                "encoder.format="
                        + key
                        + " must be one of "
                        + Arrays.stream(values())
                                .map(ModelFormat::key)
                                .collect(Collectors.toList()));
    }
}
