package io.genorch.poller;

import static io.genorch.poller.PollerHarness.PROVIDERS;
import static io.genorch.common.testing.BenchmarkReport.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.BenchmarkReport;
import io.genorch.poller.PollerHarness.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Reconciliations per second of one poller instance with its default settings (batches of 100, 16 checks in flight
 * per provider, pool of 16 connections) over {@value #GENERATIONS} generations whose callbacks were lost, spread over the
 * five providers of the simulator on loopback. Every job has already finished, so each reconciliation is: claim (in
 * batches), request permit, one status call, and the state machine's transaction (polled + succeeded timeline
 * entries, lifecycle event). Not part of the test suite (tag "benchmark"); run it with {@code bench/run.sh poller}.
 * The report goes to {@code target/benchmarks/poller.txt}.
 */
@Tag("benchmark")
class PollerBenchmark {

  static final int GENERATIONS = 10_000;
  static final Duration TIME_LIMIT = Duration.ofSeconds(300);

  @Test
  void reconciliationsPerSecond() throws Exception {
    try (PollerHarness h = new PollerHarness(Map.of())) {
      Map<String, List<String>> tasks = new LinkedHashMap<>();
      long setupStart = System.nanoTime();
      for (String provider : PROVIDERS) {
        tasks.put(provider, h.createJobs(provider, "benchmark [sim:no-callback]", GENERATIONS / PROVIDERS.size()));
      }
      tasks.forEach(h::awaitJobsFinished);
      h.insertOverdue("bench", tasks);
      double setupSeconds = seconds(System.nanoTime() - setupStart);

      // the production defaults, except the tick: it only matters for the first claim
      Map<String, String> defaults = new LinkedHashMap<>(Map.of("ORCH_POLL_INTERVAL_MS", "1000"));
      // GENORCH_BENCH_SETTINGS=ORCH_X=1,ORCH_Y=2 tries other settings (named in the report)
      Map<String, String> tried = settingsFrom(System.getenv("GENORCH_BENCH_SETTINGS"));
      defaults.putAll(tried);
      long start = System.nanoTime();
      Instance poller = h.startInstance(defaults);
      long resolved;
      long elapsed;
      long halfway = -1;
      // one connection for the whole wait: a new one every 20 ms would cost the server a backend start each time,
      // beside what is measured
      try (var c = h.db.connect(); var count = c.prepareStatement(
          "SELECT count(*) FROM generations WHERE id LIKE 'gen_bench_%' AND status = 'succeeded'")) {
        Instant until = Instant.now().plus(TIME_LIMIT);
        while (true) {
          try (var rs = count.executeQuery()) {
            rs.next();
            resolved = rs.getLong(1);
          }
          elapsed = System.nanoTime() - start;
          if (halfway < 0 && resolved >= GENERATIONS / 2) {
            halfway = elapsed;
          }
          if (resolved >= GENERATIONS || Instant.now().isAfter(until)) {
            break;
          }
          Thread.sleep(20);
        }
      } finally {
        poller.close();
      }
      long statusCalls = PROVIDERS.stream().mapToLong(h.sim::statusCalls).sum();
      long polled = h.scalar("SELECT count(*) FROM generation_events WHERE generation_id LIKE 'gen_bench_%' AND type = 'polled'");
      long byPoll = h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_bench_%' AND resolved_by = 'poll'");

      BenchmarkReport.start("poller", "poller-verticle benchmark (PollerBenchmark)")
          .line("database", "PostgreSQL " + version(h) + " via TestDatabase (" + h.db.url().replaceAll("//[^@]*@", "//") + "), pool 16")
          .line("setup", "one PollerVerticle with " + (tried.isEmpty() ? "default settings (batch 100, 16 checks in flight per provider, lease 60 s)"
              : "default settings except " + tried) + ";\n"
              + "provider simulator, PostgreSQL and the poller share the machine's CPUs over loopback")
          .line("generations", GENERATIONS + " overdue (" + GENERATIONS / PROVIDERS.size() + " per provider x " + PROVIDERS.size()
              + "), jobs already finished; arranged in " + String.format("%.1f s", setupSeconds))
          .rate("throughput", resolved / seconds(elapsed), "reconciliations",
              String.format("(%d resolved in %.2f s)", resolved, seconds(elapsed)))
          .line("first half", String.format("%.2f s for %d", seconds(halfway), GENERATIONS / 2))
          .line("check", byPoll + "/" + GENERATIONS + " resolved by poll, " + statusCalls + " status calls, "
              + polled + " polled timeline entries")
          .raw(io.genorch.common.testing.MemoryReport.line())
          .line("rerun", "bench/run.sh poller")
          .write();
      assertEquals(GENERATIONS, resolved);
      assertEquals(GENERATIONS, statusCalls, "one status call per generation");
    }
  }

  private static Map<String, String> settingsFrom(String list) {
    Map<String, String> settings = new LinkedHashMap<>();
    if (list != null) {
      for (String pair : list.split(",")) {
        if (pair.contains("=")) {
          settings.put(pair.substring(0, pair.indexOf('=')).trim(), pair.substring(pair.indexOf('=') + 1).trim());
        }
      }
    }
    return settings;
  }

  private static String version(PollerHarness h) {
    try (var c = h.db.connect(); var st = c.createStatement(); var rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      return "unknown";
    }
  }
}
