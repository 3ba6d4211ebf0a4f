package io.fedlora.deploy.doctor;

import ai.djl.util.cuda.CudaUtils;

/**
 * Whether a CUDA GPU is visible (the CUDA runtime library loads and reports devices). None is fine:
 * the node trains on the CPU. Asked of the CUDA runtime directly, so the PyTorch engine is not loaded.
 */
final class CudaCheck implements Check {

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public CheckResult run() {
        try {
            int gpus = CudaUtils.getGpuCount();
            if (gpus == 0) {
                return CheckResult.ok(name(), "no CUDA GPU visible: training runs on the CPU (docs/gpu.md)");
            }
            return CheckResult.ok(name(), gpus + " CUDA GPU(s) visible, CUDA " + CudaUtils.getCudaVersionString()
                    + "; the node trains on GPU 0 when its libtorch is a CUDA build (docs/gpu.md)");
        } catch (RuntimeException | LinkageError e) {
            return CheckResult.warn(name(), "could not ask the CUDA runtime (" + e.getClass().getSimpleName()
                    + "): training runs on the CPU");
        }
    }
}
