package io.genorch.poller;

import static io.genorch.poller.PollerHarness.PROVIDERS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.BenchmarkReport;
import io.genorch.poller.PollerHarness.Instance;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Reconciliations per second of one poller instance with its default settings (batches of 100, 16 checks in
 * flight, pool of 16 connections) over {@value #GENERATIONS} generations whose callbacks were lost, spread over the
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
      double setupSeconds = BenchmarkReport.seconds(System.nanoTime() - setupStart);

      // the production defaults, except the tick: it only matters for the first claim
      Map<String, String> defaults = Map.of("ORCH_POLL_INTERVAL_MS", "1000");
      long start = System.nanoTime();
      Instance poller = h.startInstance(defaults);
      long[] halfway = {-1};
      long[] lastLook = {0};
      long resolved;
      try {
        resolved = Await.lastSeen(TIME_LIMIT, () -> {
          long n = h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_bench_%' AND status = 'succeeded'");
          lastLook[0] = System.nanoTime() - start;
          if (halfway[0] < 0 && n >= GENERATIONS / 2) {
            halfway[0] = lastLook[0];
          }
          return n;
        }, n -> n >= GENERATIONS);
      } finally {
        poller.close();
      }
      long elapsed = lastLook[0];
      long statusCalls = PROVIDERS.stream().mapToLong(h.sim::statusCalls).sum();
      long polled = h.scalar("SELECT count(*) FROM generation_events WHERE generation_id LIKE 'gen_bench_%' AND type = 'polled'");
      long byPoll = h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_bench_%' AND resolved_by = 'poll'");

      StringBuilder report = BenchmarkReport.begin("poller-verticle benchmark (PollerBenchmark)", h.db, 16);
      report.append("setup:            one PollerVerticle with default settings (batch 100, 16 checks in flight, lease 60 s);\n")
          .append("                  provider simulator, PostgreSQL and the poller share the machine's CPUs over loopback\n");
      report.append("generations:      ").append(GENERATIONS).append(" overdue (").append(GENERATIONS / PROVIDERS.size())
          .append(" per provider x ").append(PROVIDERS.size()).append("), jobs already finished; arranged in ")
          .append(String.format("%.1f s", setupSeconds)).append('\n');
      report.append(String.format("throughput:       %.0f reconciliations/s (%d resolved in %.2f s)%n",
          resolved / BenchmarkReport.seconds(elapsed), resolved, BenchmarkReport.seconds(elapsed)));
      report.append(String.format("first half:       %.2f s for %d%n", BenchmarkReport.seconds(halfway[0]), GENERATIONS / 2));
      report.append("check:            ").append(byPoll).append('/').append(GENERATIONS).append(" resolved by poll, ")
          .append(statusCalls).append(" status calls, ").append(polled).append(" polled timeline entries\n");
      BenchmarkReport.finish(report, "poller");
      assertEquals(GENERATIONS, resolved);
      assertEquals(GENERATIONS, statusCalls, "one status call per generation");
    }
  }
}
