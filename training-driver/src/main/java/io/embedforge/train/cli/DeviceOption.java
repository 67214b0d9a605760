package io.embedforge.train.cli;

import ai.djl.Device;
import io.embedforge.settings.BadInputException;

/**
 * Parses {@code --device cpu|gpu|gpu:N}. On GPU DJL needs libtorch with CUDA: online it downloads
 * it; offline set {@code PYTORCH_LIBRARY_PATH} to an unpacked libtorch 2.7.1+cu128 (the pytorch-jni
 * 2.7.1-0.36.0 jar ships JNI for cpu and cu128 only).
 */
final class DeviceOption {

    private DeviceOption() {}

    static Device parse(String value) {
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
