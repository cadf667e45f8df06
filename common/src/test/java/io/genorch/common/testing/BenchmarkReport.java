package io.genorch.common.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The frame every benchmark report shares: title, date, machine and database lines first; memory and rerun lines
 * last, written to {@code target/benchmarks/<name>.txt} and printed. The benchmark appends its own lines between.
 */
public final class BenchmarkReport {

  private BenchmarkReport() {}

  /** The opening lines, for a service on {@code db} with a pool of {@code poolSize}. */
  public static StringBuilder begin(String title, TestDatabase db, int poolSize) {
    StringBuilder report = new StringBuilder();
    report.append("# ").append(title).append('\n');
    report.append("date:             ").append(Instant.now()).append('\n');
    report.append("machine:          ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (nproc), ")
        .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.arch")).append(", Java ")
        .append(System.getProperty("java.version")).append(", max heap ")
        .append(Runtime.getRuntime().maxMemory() / (1024 * 1024)).append(" MiB\n");
    report.append("database:         PostgreSQL ").append(serverVersion(db)).append(" via TestDatabase (")
        .append(db.url().replaceAll("//[^@]*@", "//")).append("), pool ").append(poolSize).append('\n');
    return report;
  }

  /** Adds the memory and rerun ({@code bench/run.sh <name>}) lines, writes the report and prints it. */
  public static void finish(StringBuilder report, String name) {
    report.append(MemoryReport.line());
    report.append("rerun:            bench/run.sh ").append(name).append('\n');
    Path out = Path.of("target", "benchmarks", name + ".txt");
    try {
      Files.createDirectories(out.getParent());
      Files.writeString(out, report.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.print(report);
  }

  public static double seconds(long nanos) {
    return nanos / 1_000_000_000.0;
  }

  private static String serverVersion(TestDatabase db) {
    try (var c = db.connect(); var st = c.createStatement(); var rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      return "unknown";
    }
  }
}
