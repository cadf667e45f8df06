package io.genorch.common.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** The memory line of a benchmark report: live heap after a full GC and the process's resident set. */
public final class MemoryReport {

  private MemoryReport() {}

  public static String line() {
    System.gc();
    long heapMiB = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
    return "memory:           heap in use after GC " + heapMiB + " MiB, process resident " + residentMiB()
        + " (one JVM holding the service, the simulator and the load generator)\n";
  }

  private static String residentMiB() {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith("VmRSS:"))
          .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 + " MiB")
          .findFirst().orElse("unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
