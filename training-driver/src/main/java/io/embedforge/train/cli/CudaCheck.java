package io.embedforge.train.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.LibUtils;
import io.embedforge.settings.BadInputException;

/**
 * Checks, before any model is built, that {@code --device gpu[:N]} can work: the libtorch DJL
 * loaded is a CUDA build and can allocate on that GPU. Without it the first tensor of the model
 * fails deep inside loading ("Could not run 'aten::empty_strided' with arguments from the 'CUDA'
 * backend") after minutes of reading weights; here the user gets exit code 2 and the remedy.
 *
 * <p>DJL extracts the libtorch of the {@code pytorch-native-*} jar on the classpath (the CPU build
 * in the default build) and downloads nothing offline, so the remedy is always the same: a libtorch
 * 2.7.1 CUDA 12.8 build, pointed to with {@code PYTORCH_LIBRARY_PATH} and {@code
 * PYTORCH_FLAVOR=cu128} (the {@code pytorch-jni} jar ships JNI only for {@code cpu} and {@code
 * cu128}), preferably in a {@code -Pcuda} build that leaves the CPU libtorch out (docs/gpu.md).
 */
final class CudaCheck {

    /** What to do, appended to every failure. */
    static final String REMEDY =
            "use a CUDA build of libtorch 2.7.1 (CUDA 12.8, cxx11 ABI, from pytorch.org): unpack it"
                    + " and run with PYTORCH_LIBRARY_PATH=<libtorch>/lib PYTORCH_VERSION=2.7.1"
                    + " PYTORCH_FLAVOR=cu128, best from a build without the bundled CPU libtorch"
                    + " (mvn -Pcuda package -DskipTests); see docs/gpu.md";

    /** What the loaded engine offers; an interface so the decision is testable without a GPU. */
    interface Runtime {
        /** libtorch version, e.g. {@code 2.7.1}. */
        String version();

        /** Where the loaded libtorch lives. */
        String libraryPath();

        /** Whether libtorch was built with CUDA. */
        boolean cudaBuild();

        /** Allocates one element on {@code device}; throws if it cannot. */
        void allocate(Device device);
    }

    private CudaCheck() {}

    /**
     * Returns normally if {@code device} is the CPU or a usable GPU.
     *
     * @throws BadInputException (exit code 2) naming the device, what was found and the remedy
     */
    static void require(Device device, java.util.function.Supplier<Runtime> runtime) {
        if (!device.isGpu()) {
            return;
        }
        String option = "--device gpu:" + device.getDeviceId();
        Runtime r;
        try {
            r = runtime.get();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new BadInputException(
                    option + ": the PyTorch engine did not load (" + firstLine(e) + "); " + REMEDY,
                    e);
        }
        if (!r.cudaBuild()) {
            throw new BadInputException(
                    option
                            + ": the loaded libtorch "
                            + r.version()
                            + " ("
                            + r.libraryPath()
                            + ") is a CPU-only build; "
                            + REMEDY);
        }
        try {
            r.allocate(device);
        } catch (RuntimeException e) {
            throw new BadInputException(
                    option
                            + ": libtorch "
                            + r.version()
                            + " has CUDA but cannot use this GPU ("
                            + firstLine(e)
                            + "); check the driver (nvidia-smi) and the GPU index",
                    e);
        }
    }

    /** The engine DJL loaded in this process. */
    static Runtime djl() {
        Engine engine = Engine.getEngine("PyTorch");
        return new Runtime() {
            @Override
            public String version() {
                return engine.getVersion();
            }

            @Override
            public String libraryPath() {
                return LibUtils.getLibtorchPath();
            }

            @Override
            public boolean cudaBuild() {
                return engine.hasCapability(StandardCapabilities.CUDA);
            }

            @Override
            public void allocate(Device device) {
                try (NDManager m = NDManager.newBaseManager(device)) {
                    m.zeros(new ai.djl.ndarray.types.Shape(1)).toFloatArray();
                }
            }
        };
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
    }
}
