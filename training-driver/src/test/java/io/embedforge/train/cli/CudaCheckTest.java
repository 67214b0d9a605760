package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import io.embedforge.settings.BadInputException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code --device gpu} fails before any model is loaded when libtorch cannot use the GPU, with the
 * remedy; on this machine (CPU libtorch, no GPU) with the real engine.
 */
class CudaCheckTest {

    /** A runtime with chosen answers that records the devices it was asked to allocate on. */
    private record Fake(boolean cuda, RuntimeException allocFails, List<Device> asked)
            implements CudaCheck.Runtime {
        @Override
        public String version() {
            return "2.7.1";
        }

        @Override
        public String libraryPath() {
            return "/opt/libtorch/lib";
        }

        @Override
        public boolean cudaBuild() {
            return cuda;
        }

        @Override
        public void allocate(Device device) {
            asked.add(device);
            if (allocFails != null) {
                throw allocFails;
            }
        }
    }

    @Test
    void theBundledCpuLibtorchIsRefusedForAGpuWithTheRemedy() {
        assumeFalse(
                Engine.getEngine("PyTorch").hasCapability(StandardCapabilities.CUDA),
                "a CUDA libtorch is loaded: this machine can use a GPU");
        BadInputException e =
                assertThrows(BadInputException.class, () -> DeviceOption.parse("gpu:1"));
        String m = e.getMessage();
        assertTrue(m.startsWith("--device gpu:1: the loaded libtorch 2.7.1 ("), m);
        assertTrue(m.contains("is a CPU-only build"), m);
        for (String remedy :
                List.of(
                        "PYTORCH_LIBRARY_PATH=<libtorch>/lib",
                        "PYTORCH_FLAVOR=cu128",
                        "PYTORCH_VERSION=2.7.1",
                        "mvn -Pcuda",
                        "docs/gpu.md")) {
            assertTrue(m.contains(remedy), remedy + " in: " + m);
        }
        assertEquals(Device.cpu(), DeviceOption.parse("cpu"));
    }

    @Test
    void aCudaBuildThatCannotAllocateNamesTheGpuAndTheCause() {
        List<Device> asked = new ArrayList<>();
        Fake noDevice =
                new Fake(true, new IllegalStateException("invalid device ordinal\nx"), asked);
        BadInputException e =
                assertThrows(
                        BadInputException.class,
                        () -> CudaCheck.require(Device.gpu(3), () -> noDevice));
        assertEquals(
                "--device gpu:3: libtorch 2.7.1 has CUDA but cannot use this GPU"
                        + " (IllegalStateException: invalid device ordinal); check the driver"
                        + " (nvidia-smi) and the GPU index",
                e.getMessage());
        assertEquals(List.of(Device.gpu(3)), asked);
    }

    @Test
    void aUsableGpuPassesAndTheCpuNeverLoadsTheEngine() {
        List<Device> asked = new ArrayList<>();
        assertDoesNotThrow(
                () -> CudaCheck.require(Device.gpu(0), () -> new Fake(true, null, asked)));
        assertEquals(List.of(Device.gpu(0)), asked);
        assertDoesNotThrow(
                () ->
                        CudaCheck.require(
                                Device.cpu(),
                                () -> {
                                    throw new AssertionError("engine consulted for the CPU");
                                }));
    }

    @Test
    void anEngineThatDoesNotLoadIsReportedWithTheRemedy() {
        BadInputException e =
                assertThrows(
                        BadInputException.class,
                        () ->
                                CudaCheck.require(
                                        Device.gpu(0),
                                        () -> {
                                            throw new UnsatisfiedLinkError(
                                                    "libdjl_torch.so: cu128-precxx11 not found");
                                        }));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "--device gpu:0: the PyTorch engine did not load"
                                        + " (UnsatisfiedLinkError: libdjl_torch.so:"
                                        + " cu128-precxx11 not found); use a CUDA build"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
