package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class ComputeDeviceTest {

    @Test
    void autoTakesTheFirstGpuWhenThereIsOne() {
        assertEquals(Device.cpu(), ComputeDevice.parse("auto", 0));
        assertEquals(Device.gpu(0), ComputeDevice.parse("auto", 2));
        assertEquals(Device.cpu(), ComputeDevice.parse("cpu", 2));
        assertEquals(Device.gpu(1), ComputeDevice.parse("GPU:1", 2));
        assertEquals(Device.gpu(0), ComputeDevice.parse(" gpu ", 1));
    }

    @Test
    void aGpuThatIsNotThereIsAnErrorNotTheCpu() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse("gpu", 0));
        assertTrue(none.getMessage().contains("sees 0 CUDA device(s)") && none.getMessage().contains("docs/gpu.md"),
                none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse("gpu:2", 2));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse("tpu", 0));
        assertTrue(bad.getMessage().startsWith("-Dfedlora.device=tpu: expected"), bad.getMessage());
    }

    @Test
    void thisMachineTrainsOnTheCpuByDefault() {
        // CI and the tests run the CPU build of PyTorch: auto must select the CPU here.
        assertEquals(Device.cpu(), ComputeDevice.selected());
    }
}
