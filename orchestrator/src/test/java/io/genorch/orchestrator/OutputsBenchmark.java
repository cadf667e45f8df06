package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.S3ProxyServer;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Outputs kept, on this machine: {@value #OUTPUTS} outputs of {@value #OUTPUT_BYTES} bytes, served by the simulator
 * on loopback, copied by one instance (4 copies at once) to fs and to s3proxy (in-process, filesystem backend), with a
 * real PostgreSQL; then the heap while one output of 1 GiB is copied (sampled after a GC every 200 ms, so it is the
 * live heap, not garbage). Not part of the test suite (tag "benchmark"); run it with {@code bench/run.sh outputs}.
 * The report goes to {@code target/benchmarks/outputs.txt}.
 */
@Tag("benchmark")
class OutputsBenchmark {

  static final int OUTPUTS = 200;
  static final long OUTPUT_BYTES = 20_000_000;
  static final long LARGE_BYTES = 1L << 30;

  @Test
  void copyThroughputAndHeap() throws Exception {
    StringBuilder report = new StringBuilder("Outputs kept (bench/run.sh outputs), ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores, max heap ")
        .append(Runtime.getRuntime().maxMemory() >> 20).append(" MiB\n");
    Path dir = Files.createTempDirectory("outputs-bench");
    try {
      report.append(run("fs", Map.of("ORCH_STORAGE", "fs", "ORCH_STORAGE_DIR", dir.resolve("fs").toString()), true));
      try (S3ProxyServer s3 = new S3ProxyServer()) {
        Map<String, String> env = new java.util.HashMap<>(s3.settings());
        env.put("ORCH_STORAGE_DIR", dir.resolve("spool").toString());
        report.append(run("s3 (s3proxy)", env, false));
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.print(report);
    Path out = Path.of("target", "benchmarks");
    Files.createDirectories(out);
    Files.writeString(out.resolve("outputs.txt"), report.toString());
  }

  private static String run(String name, Map<String, String> storage, boolean measureHeap) throws IOException {
    try (TestDatabase db = TestDatabase.create(); SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(5))) {
      Map<String, String> env = OutputsKeptTest.config(db, providers, List.of("vidgo"));
      env.putAll(storage);
      env.put("ORCH_STORAGE_MAX_BYTES", String.valueOf(2 * LARGE_BYTES));
      env.put("ORCH_PROVIDER_VIDGO_MAX_RPM", "1000000"); // the copies are measured, not the request budget
      Orchestrator service = TestOrchestrators.start(env);
      try {
        ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
        List<String> ids = new ArrayList<>();
        Instant start = Instant.now();
        for (int i = 0; i < OUTPUTS; i++) {
          ids.add(OutputsKeptTest.create(api, "vidgo", "bench " + i + " [sim:output-bytes=" + OUTPUT_BYTES + "]")
              .getString("id"));
        }
        for (String id : ids) {
          Await.until(id + " stored", Duration.ofMinutes(10), () -> api.get("/v1/generations/" + id).json(),
              OutputsBenchmark::stored);
        }
        double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        String line = String.format("%s: %d outputs of %d MB in %.1f s: %.1f MB/s, %.1f copies/s (from the first"
            + " request to the last copy stored)%n", name, OUTPUTS, OUTPUT_BYTES / 1_000_000, seconds,
            OUTPUTS * OUTPUT_BYTES / 1e6 / seconds, OUTPUTS / seconds);
        if (measureHeap) {
          line += heapWhileCopying(api);
        }
        return line;
      } finally {
        TestOrchestrators.stop(service);
      }
    }
  }

  private static boolean stored(JsonObject g) {
    return g.getJsonArray("outputs").size() == 1 && g.getJsonArray("outputs").getJsonObject(0).getString("storedAt") != null;
  }

  private static String heapWhileCopying(ApiClient api) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long baseline = memory.getHeapMemoryUsage().getUsed();
    long max = baseline;
    Instant start = Instant.now();
    String id = OutputsKeptTest.create(api, "vidgo", "large [sim:output-bytes=" + LARGE_BYTES + "]").getString("id");
    while (!stored(api.get("/v1/generations/" + id).json())) {
      System.gc();
      max = Math.max(max, memory.getHeapMemoryUsage().getUsed());
      try {
        Thread.sleep(200); // a sampling interval, not a wait for a condition
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (Duration.between(start, Instant.now()).toMinutes() > 10) {
        throw new IllegalStateException("the 1 GiB copy took over 10 minutes");
      }
    }
    double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
    JsonObject output = api.get("/v1/generations/" + id).json().getJsonArray("outputs").getJsonObject(0);
    assertEquals(LARGE_BYTES, output.getLong("bytes"));
    return String.format("fs: one output of 1 GiB copied in %.1f s (%.1f MB/s); live heap (after GC) %d MiB before,"
        + " at most %d MiB during the copy: growth %.1f MiB%n", seconds, LARGE_BYTES / 1e6 / seconds, baseline >> 20,
        max >> 20, (max - baseline) / 1048576.0);
  }
}
