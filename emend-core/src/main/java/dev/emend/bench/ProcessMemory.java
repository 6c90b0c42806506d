package dev.emend.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's memory as the Linux kernel reports it in {@code /proc/self/status}. */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /**
     * Reads one {@code kB} line of {@code /proc/self/status}, e.g. {@code VmRSS} (resident now) or {@code VmHWM}
     * (peak resident).
     *
     * @param key the field name without the colon
     * @return the value in MiB, or NaN if the file or the field is missing (not Linux)
     */
    public static double mib(String key) {
        if (!Files.isReadable(STATUS)) {
            return Double.NaN;
        }
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key + ":")) {
                    String[] parts = line.substring(key.length() + 1).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
