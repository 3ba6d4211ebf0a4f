package io.fedlora.client.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * Where the model's tensors live, from the {@code fedlora.device} system property: {@code auto}
 * (the default: the first CUDA device when the PyTorch engine sees one, else the CPU), {@code cpu},
 * {@code gpu} or {@code gpu:N}. Asking for a GPU the engine cannot see fails rather than quietly
 * training on the CPU. docs/gpu.md says how to give the engine CUDA libraries.
 */
public final class ComputeDevice {

    public static final String PROPERTY = "fedlora.device";

    private ComputeDevice() {}

    /** The device the property selects on this machine. */
    public static Device selected() {
        String value = System.getProperty(PROPERTY, "auto");
        int gpus = "cpu".equals(value.trim()) ? 0 : Engine.getInstance().getGpuCount();
        return parse(value, gpus);
    }

    /** A root manager on the selected device. */
    public static NDManager newManager() {
        return NDManager.newBaseManager(selected());
    }

    static Device parse(String value, int visibleGpus) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("auto")) {
            return visibleGpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (v.equals("cpu")) {
            return Device.cpu();
        }
        int index;
        if (v.equals("gpu")) {
            index = 0;
        } else if (v.matches("gpu:\\d{1,4}")) {
            index = Integer.parseInt(v.substring(4));
        } else {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected auto, cpu, gpu or gpu:N");
        }
        if (index >= visibleGpus) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": the PyTorch engine sees "
                    + visibleGpus + " CUDA device(s) (its native library is the "
                    + (visibleGpus == 0 ? "CPU build, or no driver is loaded" : "CUDA build")
                    + "); see docs/gpu.md");
        }
        return Device.gpu(index);
    }
}
