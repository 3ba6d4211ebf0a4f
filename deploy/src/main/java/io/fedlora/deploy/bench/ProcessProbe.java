package io.fedlora.deploy.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU time and resident memory of another process on this machine (Linux {@code /proc}): CPU from
 * {@link ProcessHandle.Info#totalCpuDuration()}, resident memory from {@code VmRSS}/{@code VmHWM}.
 * The peak can be reset (writing 5 to {@code clear_refs}), so that a phase's peak is its own.
 */
final class ProcessProbe {

    private final long pid;

    ProcessProbe(long pid) {
        this.pid = pid;
    }

    /** User + system CPU seconds so far; NaN where the platform does not say. */
    double cpuSeconds() {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos)
                .map(n -> n / 1e9).orElse(Double.NaN);
    }

    /** Peak resident set since start or the last {@link #resetPeakRss()}, in MiB; NaN off Linux. */
    double peakRssMb() {
        return statusKb("VmHWM:") / 1024.0;
    }

    double rssMb() {
        return statusKb("VmRSS:") / 1024.0;
    }

    /** Starts a new peak from the current RSS; false when the kernel refuses (then the peak is the process's). */
    boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private double statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return Double.NaN;
    }
}
