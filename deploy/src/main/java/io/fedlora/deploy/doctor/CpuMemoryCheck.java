package io.fedlora.deploy.doctor;

import java.lang.management.ManagementFactory;

/** Cores and memory the JVM may use; a small heap is a warning (training needs room), not a failure. */
final class CpuMemoryCheck implements Check {

    static final long MIN_HEAP_BYTES = 1L << 30;

    private final int cores;
    private final long maxHeapBytes;
    private final long physicalBytes;

    CpuMemoryCheck(int cores, long maxHeapBytes, long physicalBytes) {
        this.cores = cores;
        this.maxHeapBytes = maxHeapBytes;
        this.physicalBytes = physicalBytes;
    }

    static CpuMemoryCheck ofThisJvm() {
        long physical = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : -1;
        return new CpuMemoryCheck(Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory(), physical);
    }

    @Override
    public String name() {
        return "cpu-memory";
    }

    @Override
    public CheckResult run() {
        String what = cores + " cores, heap up to " + Bytes.human(maxHeapBytes)
                + (physicalBytes > 0 ? ", " + Bytes.human(physicalBytes) + " memory" : "");
        if (maxHeapBytes < MIN_HEAP_BYTES) {
            return CheckResult.warn(name(), what + ": under " + Bytes.human(MIN_HEAP_BYTES)
                    + " of heap; raise -Xmx (FEDLORA_JAVA_OPTS) for models beyond the demo's");
        }
        return CheckResult.ok(name(), what);
    }
}
