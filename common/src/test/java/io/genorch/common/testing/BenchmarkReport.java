package io.genorch.common.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * The text report of one benchmark: a header naming the machine, then one aligned line per measure. Every rate is
 * also stated as a ratio to the pgbench anchor ({@code GENORCH_ANCHOR_TPS}, measured by {@code bench/run.sh} on
 * the same PostgreSQL just before), so runs on a busy or a quiet machine can be compared. Written to
 * {@code target/benchmarks/<name>.txt} and printed.
 */
public final class BenchmarkReport {

  static final String ANCHOR_VARIABLE = "GENORCH_ANCHOR_TPS";
  private static final int LABEL_WIDTH = 18;

  private final String name;
  private final OptionalDouble anchorTps;
  private final StringBuilder text = new StringBuilder();

  private BenchmarkReport(String name, String title, OptionalDouble anchorTps) {
    this.name = name;
    this.anchorTps = anchorTps;
    text.append("# ").append(title).append('\n');
    line("date", Instant.now().toString());
    line("machine", Runtime.getRuntime().availableProcessors() + " CPUs (nproc), " + System.getProperty("os.name")
        + ' ' + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version") + ", max heap "
        + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
    line("anchor", anchorTps.isPresent()
        ? String.format("pgbench webhook-shaped transaction %.0f tps (bench/anchor, same run)", anchorTps.getAsDouble())
        : "not measured (" + ANCHOR_VARIABLE + " unset; bench/run.sh sets it)");
  }

  /** A report named {@code name} (its file name), with the anchor from the environment when set. */
  public static BenchmarkReport start(String name, String title) {
    return new BenchmarkReport(name, title, anchorFrom(System.getenv(ANCHOR_VARIABLE)));
  }

  static BenchmarkReport start(String name, String title, OptionalDouble anchorTps) {
    return new BenchmarkReport(name, title, anchorTps);
  }

  static OptionalDouble anchorFrom(String value) {
    if (value == null || value.isBlank()) {
      return OptionalDouble.empty();
    }
    try {
      double tps = Double.parseDouble(value.trim());
      return tps > 0 ? OptionalDouble.of(tps) : OptionalDouble.empty();
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  /** {@code label:} padded, then the value; a multi-line value continues under the value column. */
  public BenchmarkReport line(String label, String value) {
    String head = label + ":";
    text.append(head).append(" ".repeat(Math.max(1, LABEL_WIDTH - head.length())))
        .append(value.replace("\n", "\n" + " ".repeat(LABEL_WIDTH))).append('\n');
    return this;
  }

  /** A rate line: {@code 1234 unit/s (0.20x anchor)} followed by {@code detail} when not empty. */
  public BenchmarkReport rate(String label, double perSecond, String unit, String detail) {
    return line(label, String.format("%.0f %s/s%s%s", perSecond, unit, ratio(perSecond),
        detail == null || detail.isEmpty() ? "" : " " + detail));
  }

  /** {@code " (0.20x anchor)"}, or nothing when the anchor was not measured. */
  public String ratio(double perSecond) {
    return anchorTps.isPresent() ? String.format(" (%.2fx anchor)", perSecond / anchorTps.getAsDouble()) : "";
  }

  /** Appends text as it is (e.g. {@link MemoryReport#line()}). */
  public BenchmarkReport raw(String lines) {
    text.append(lines);
    return this;
  }

  public String text() {
    return text.toString();
  }

  /** Writes {@code target/benchmarks/<name>.txt} (relative to the module) and prints the report. */
  public void write() throws IOException {
    Path out = Path.of("target", "benchmarks", name + ".txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, text());
    System.out.print(text());
  }

  public static double seconds(long nanos) {
    return nanos / 1_000_000_000.0;
  }

  public static double ms(long nanos) {
    return nanos / 1_000_000.0;
  }

  /** The p-th percentile (nearest rank) of an ascending array; 0 when it is empty. */
  public static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
