package io.genorch.poller;

import static io.genorch.poller.PollerHarness.PROVIDERS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.poller.PollerHarness.Instance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
      double setupSeconds = seconds(System.nanoTime() - setupStart);

      // the production defaults, except the tick: it only matters for the first claim
      Map<String, String> defaults = Map.of("ORCH_POLL_INTERVAL_MS", "1000");
      long start = System.nanoTime();
      Instance poller = h.startInstance(defaults);
      long resolved;
      long elapsed;
      long halfway = -1;
      try {
        Instant until = Instant.now().plus(TIME_LIMIT);
        while (true) {
          resolved = h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_bench_%' AND status = 'succeeded'");
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

      StringBuilder report = new StringBuilder();
      report.append("# poller-verticle benchmark (PollerBenchmark)\n");
      report.append("date:             ").append(Instant.now()).append('\n');
      report.append("machine:          ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (nproc), ")
          .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.arch")).append(", Java ")
          .append(System.getProperty("java.version")).append(", max heap ")
          .append(Runtime.getRuntime().maxMemory() / (1024 * 1024)).append(" MiB\n");
      report.append("database:         PostgreSQL ").append(version(h)).append(" via TestDatabase (")
          .append(h.db.url().replaceAll("//[^@]*@", "//")).append("), pool 16\n");
      report.append("setup:            one PollerVerticle with default settings (batch 100, 16 checks in flight, lease 60 s);\n")
          .append("                  provider simulator, PostgreSQL and the poller share the machine's CPUs over loopback\n");
      report.append("generations:      ").append(GENERATIONS).append(" overdue (").append(GENERATIONS / PROVIDERS.size())
          .append(" per provider x ").append(PROVIDERS.size()).append("), jobs already finished; arranged in ")
          .append(String.format("%.1f s", setupSeconds)).append('\n');
      report.append(String.format("throughput:       %.0f reconciliations/s (%d resolved in %.2f s)%n",
          resolved / seconds(elapsed), resolved, seconds(elapsed)));
      report.append(String.format("first half:       %.2f s for %d%n", seconds(halfway), GENERATIONS / 2));
      report.append("check:            ").append(byPoll).append('/').append(GENERATIONS).append(" resolved by poll, ")
          .append(statusCalls).append(" status calls, ").append(polled).append(" polled timeline entries\n");
      report.append(io.genorch.common.testing.MemoryReport.line());
      report.append("rerun:            bench/run.sh poller\n");

      Path out = Path.of("target", "benchmarks", "poller.txt");
      Files.createDirectories(out.getParent());
      Files.writeString(out, report.toString());
      System.out.print(report);
      assertEquals(GENERATIONS, resolved);
      assertEquals(GENERATIONS, statusCalls, "one status call per generation");
    }
  }

  private static String version(PollerHarness h) {
    try (var c = h.db.connect(); var st = c.createStatement(); var rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1_000_000_000.0;
  }
}
