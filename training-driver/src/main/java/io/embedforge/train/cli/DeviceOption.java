package io.embedforge.train.cli;

import ai.djl.Device;
import io.embedforge.settings.BadInputException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses {@code --device cpu|gpu|gpu:N} and, for {@code train}, a device list {@code gpu:N,M,...}
 * or {@code cpu:N,M,...}, and for a GPU checks at once that the loaded libtorch can use it ({@link
 * CudaCheck}): DJL uses the libtorch of the {@code pytorch-native-*} jar on the classpath (the CPU
 * build by default) and never downloads one here, so a GPU needs {@code PYTORCH_LIBRARY_PATH} and
 * {@code PYTORCH_FLAVOR=cu128} (docs/gpu.md).
 *
 * <p>libtorch has one CPU device, so {@code cpu:0,1} is two model replicas on that one device: the
 * multi-device path run where no GPU is, to test it (it is slower than {@code cpu}, not faster).
 */
final class DeviceOption {

    private static final String FORMS = "cpu, gpu, gpu:N or a list gpu:N,M,... (cpu:N,M,...)";

    private DeviceOption() {}

    /**
     * The one device of a command that uses one (eval, embed, ablate), checked to be usable.
     *
     * @throws io.embedforge.settings.BadInputException (exit 2) on a bad value, a list, or an
     *     unusable GPU
     */
    static Device parse(String value) {
        List<Device> d = syntax(value);
        if (d.size() > 1) {
            throw new BadInputException(
                    "--device " + value + ": this command uses one device: cpu, gpu or gpu:N");
        }
        CudaCheck.require(d.get(0), CudaCheck::djl);
        return d.get(0);
    }

    /**
     * The devices of {@code train}, each GPU checked to be usable; the first is the primary.
     *
     * @throws io.embedforge.settings.BadInputException (exit 2) on a bad value or an unusable GPU
     */
    static List<Device> parseList(String value) {
        List<Device> devices = syntax(value);
        for (Device d : devices) {
            if (d.isGpu()) {
                CudaCheck.require(d, CudaCheck::djl);
            }
        }
        return devices;
    }

    /** The devices the option names, unchecked. */
    static List<Device> syntax(String value) {
        if (value == null || value.equals("cpu")) {
            return List.of(Device.cpu());
        }
        if (value.equals("gpu")) {
            return List.of(Device.gpu(0));
        }
        boolean gpu = value.startsWith("gpu:");
        if (!gpu && !value.startsWith("cpu:")) {
            throw new BadInputException("--device " + value + ": expected " + FORMS);
        }
        List<Device> out = new ArrayList<>();
        for (int index : indices(value, value.substring(4))) {
            out.add(gpu ? Device.gpu(index) : Device.cpu());
        }
        return List.copyOf(out);
    }

    /** The distinct non-negative indices of a comma-separated list. */
    private static Set<Integer> indices(String value, String list) {
        if (list.isEmpty()) {
            throw new BadInputException(
                    "--device " + value + ": no device index after ':'; expected " + FORMS);
        }
        Set<Integer> seen = new LinkedHashSet<>();
        for (String part : list.split(",", -1)) {
            int index;
            try {
                index = Integer.parseInt(part.strip());
            } catch (NumberFormatException e) {
                throw new BadInputException(
                        "--device "
                                + value
                                + ": '"
                                + part
                                + "' is not a device index (0, 1, ...); expected "
                                + FORMS,
                        e);
            }
            if (index < 0) {
                throw new BadInputException(
                        "--device " + value + ": device index " + index + " is negative");
            }
            if (!seen.add(index)) {
                throw new BadInputException(
                        "--device " + value + ": device " + index + " is listed twice");
            }
        }
        return seen;
    }
}
