package io.embedforge.train.cli;

import ai.djl.Device;
import io.embedforge.settings.BadInputException;

/**
 * Parses {@code --device cpu|gpu|gpu:N} and, for a GPU, checks at once that the loaded libtorch can
 * use it ({@link CudaCheck}): DJL uses the libtorch of the {@code pytorch-native-*} jar on the
 * classpath (the CPU build by default) and never downloads one here, so a GPU needs {@code
 * PYTORCH_LIBRARY_PATH} and {@code PYTORCH_FLAVOR=cu128} (docs/gpu.md).
 */
final class DeviceOption {

    private DeviceOption() {}

    /**
     * The device, checked to be usable.
     *
     * @throws io.embedforge.settings.BadInputException (exit 2) on a bad value or an unusable GPU
     */
    static Device parse(String value) {
        Device d = syntax(value);
        CudaCheck.require(d, CudaCheck::djl);
        return d;
    }

    /** The device the option names, unchecked. */
    static Device syntax(String value) {
        if (value == null || value.equals("cpu")) {
            return Device.cpu();
        }
        if (value.equals("gpu")) {
            return Device.gpu(0);
        }
        if (value.startsWith("gpu:")) {
            try {
                return Device.gpu(Integer.parseInt(value.substring(4)));
            } catch (NumberFormatException e) {
                throw new BadInputException("--device " + value + ": expected gpu:N", e);
            }
        }
        throw new BadInputException("--device " + value + ": expected cpu, gpu or gpu:N");
    }
}
