package io.embedforge.train.loop;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.embedforge.settings.Check;
import java.util.List;

/**
 * The {@code precision:} section of a training config: the type the frozen base computes in and the
 * dynamic loss scaling of the float16 path (docs/gpu.md, "Loss scaling").
 *
 * @param baseDtype {@code auto} (float16 on a GPU, float32 on the CPU), {@code float32} or {@code
 *     float16} (on the CPU only to test the float16 path: libtorch 2.7.1's CPU kernels run it,
 *     slowly)
 * @param lossScale {@code auto} (dynamic when the base is float16, else off), {@code dynamic} or
 *     {@code off}
 * @param lossScaleInit first scale; a power of two, so scaling and unscaling are exact
 * @param lossScaleGrowthInterval the scale doubles after this many steps without an overflow
 */
public record PrecisionConfig(
        String baseDtype, String lossScale, double lossScaleInit, int lossScaleGrowthInterval) {

    private static final Check CHECK = Check.under("precision");

    /** Checks the values, naming {@code precision.<key>}. */
    public PrecisionConfig {
        CHECK.oneOf("base_dtype", baseDtype, List.of("auto", "float32", "float16"));
        CHECK.oneOf("loss_scale", lossScale, List.of("auto", "dynamic", "off"));
        CHECK.that(
                lossScaleInit >= 1 && lossScaleInit <= 0x1p60 && isPowerOfTwo(lossScaleInit),
                "loss_scale_init",
                lossScaleInit,
                "must be a power of two in [1, 2^60] (e.g. 65536)");
        CHECK.atLeast("loss_scale_growth_interval", lossScaleGrowthInterval, 1);
    }

    /** The defaults: torch.cuda.amp.GradScaler's schedule, float16 only on a GPU. */
    public static PrecisionConfig defaults() {
        return new PrecisionConfig("auto", "auto", 65536, 2000);
    }

    /** The type of the frozen base on {@code device}. */
    public DataType baseType(Device device) {
        return switch (baseDtype) {
            case "float16" -> DataType.FLOAT16;
            case "float32" -> DataType.FLOAT32;
            default -> device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
        };
    }

    /** Whether gradients are loss-scaled for a base of type {@code base}. */
    public boolean scales(DataType base) {
        return switch (lossScale) {
            case "dynamic" -> true;
            case "off" -> false;
            default -> base == DataType.FLOAT16;
        };
    }

    private static boolean isPowerOfTwo(double v) {
        return Double.isFinite(v) && v > 0 && v == Math.scalb(1.0, Math.getExponent(v));
    }
}
